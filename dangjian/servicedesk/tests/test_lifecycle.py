"""The life of a service request (servicedesk/lifecycle.py) against DESIGN.md §5: intake from every
channel, every transition of the state machine from every state, who may do what, the steps and
events each writes, the SLA clock (worked out by hand on the business calendar: service hours
08:30–12:00 and 14:00–17:30, i.e. 7 business hours a day), the sweep, callbacks, merging,
reopening, classification and who sees what.

Sixteen of these tests were first written as strict xfails: each documented a bug later fixed.

Unless a test says otherwise the request is 钱七's own (she is world.users.resident), submitted on
the resident pages on Monday 23 November 2026 at 09:00 in grid A1, in a test category with a
2-business-hour response target and a 2-business-day (14 h) resolution target:

    response due    Mon 23 Nov 11:00
    resolution due  Wed 25 Nov 09:00   (Mon 09:00–17:30 = 6.5 h, Tue 7 h, Wed 08:30–09:00 0.5 h)
"""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from dangjian.accounts.roles import Role
from dangjian.core import crypto
from dangjian.core.access import restrict
from dangjian.core.calendar import is_workday
from dangjian.core.conf import config
from dangjian.core.models import Event, EventAction
from dangjian.servicedesk.models import (
    Callback,
    CloseReason,
    HandlingLevel,
    Outcome,
    OutcomeSource,
    Rating,
    RequestAttachment,
    RequestState,
    RequestStep,
    ServiceCategory,
    ServiceRequest,
)
from dangjian.servicedesk.rates import rollups
from dangjian.servicedesk.requests import lifecycle as lc
from tests.factories import as_actor, make_user
from tests.url_access_base import beyond_user

pytestmark = pytest.mark.django_db

S = RequestState
H = 3600
PHONE = "13855555678"  # masked 138****5678


def at(day: str, time: str = "09:00") -> dt.datetime:
    """An aware moment in Asia/Shanghai (the site's time zone)."""
    return timezone.make_aware(dt.datetime.fromisoformat(f"{day} {time}"))


MON_9 = at("2026-11-23", "09:00")
RESPONSE_DUE = at("2026-11-23", "11:00")
RESOLUTION_DUE = at("2026-11-25", "09:00")


@pytest.fixture(autouse=True)
def daily_counts_kept():
    """The rates' daily counts are kept by the state machine: after every test of it (every
    transition from every state, the sweep, merging, classifying, transferring, reopening) they
    equal a count of the requests made afresh."""
    yield
    assert rollups.reconcile() == []


@pytest.fixture(autouse=True)
def sampled_for_callbacks(monkeypatch):
    """Callbacks are made on the requests the sweep sampled (lifecycle.callbacks_sample); these
    tests sample each request just before they call it back (test_an_unsampled_request_...
    checks the rule itself)."""
    original = lc.request_callback

    def sampled(*, req, **kw):
        Callback.objects.get_or_create(request_id=req.pk)
        return original(req=req, **kw)

    monkeypatch.setattr(lc, "request_callback", sampled)


def make_category(code: str = "test-repair", *, response=(2, "hours"), resolution=(2, "days"), active=True):
    return ServiceCategory.objects.get_or_create(
        code=code,
        defaults={
            "family": "convenience",
            "name": f"测试{code}",
            "response_target": response[0],
            "response_unit": response[1],
            "resolution_target": resolution[0],
            "resolution_unit": resolution[1],
            "is_active": active,
        },
    )[0]


def submit(world, *, actor=None, now=MON_9, **kw) -> ServiceRequest:
    """钱七 submits for herself on the resident pages unless told otherwise."""
    if actor is None:
        actor = world.users.resident
        kw.setdefault("requester", world.qian)
    kw.setdefault("channel", "web")
    kw.setdefault("description", "楼道灯坏了，晚上很黑")
    if "category" not in kw:
        kw["category"] = make_category()
    return lc.request_submit(actor=as_actor(actor, now=now), **kw)


def do(world, req, action, now, **kw):
    """Perform ``action`` as the person who typically does it: the desk (community staff), the
    volunteer 赵六 it is dispatched to (world.users.member), the requester 钱七, a secretary."""
    u = world.users
    calls = {
        "accept": lambda: lc.request_accept(actor=as_actor(u.staff, now=now), req=req, **kw),
        "dispatch": lambda: lc.request_dispatch(
            actor=as_actor(u.staff, now=now), req=req, kind="volunteer", person=world.zhao, **kw
        ),
        "start": lambda: lc.request_start(actor=as_actor(u.member, now=now), req=req, **kw),
        "suspend": lambda: lc.request_suspend(actor=as_actor(u.member, now=now), req=req, note="等居民提供照片", **kw),
        "resume": lambda: lc.request_resume(actor=as_actor(u.staff, now=now), req=req, **kw),
        "return": lambda: lc.request_return(actor=as_actor(u.member, now=now), req=req, note="不是我能修的", **kw),
        "escalate": lambda: lc.request_escalate(
            actor=as_actor(u.staff, now=now), req=req, note="需要街道协调物业", **kw
        ),
        "transfer": lambda: lc.request_transfer(
            actor=as_actor(u.staff, now=now), req=req, region=world.community_b, note="地址在钢花村", **kw
        ),
        "handle": lambda: lc.request_handle(actor=as_actor(u.member, now=now), req=req, result="已更换灯泡", **kw),
        "confirm": lambda: lc.request_confirm(
            actor=as_actor(u.resident, now=now), req=req, resolved=True, score=5, **kw
        ),
        "reject": lambda: lc.request_confirm(
            actor=as_actor(u.resident, now=now), req=req, resolved=False, comment="灯还是不亮", **kw
        ),
        # From outside the handling unit: the street (servicedesk.access.outside_handling_unit).
        "callback": lambda: lc.request_callback(
            actor=as_actor(u.admin, now=now), req=req, answered=True, resolved=True, **kw
        ),
        "close": lambda: lc.request_close(actor=as_actor(u.staff, now=now), req=req, **kw),
        "withdraw": lambda: lc.request_withdraw(actor=as_actor(u.resident, now=now), req=req, **kw),
    }
    return calls[action]()


def advance(world, req, *actions, start=None, step=dt.timedelta(minutes=10)) -> ServiceRequest:
    """Perform ``actions`` one after the other, ten minutes apart (from ``start``, or ten minutes
    after submission), each by its typical actor; return the request as it is afterwards."""
    moment = start or req.submitted_at + step
    for action in actions:
        req = do(world, req, action, moment)
        moment += step
    return req


# How to bring a fresh request into each state.
PATHS = {
    S.SUBMITTED: (),
    S.ACCEPTED: ("accept",),
    S.DISPATCHED: ("dispatch",),
    S.IN_PROGRESS: ("dispatch", "start"),
    S.SUSPENDED: ("dispatch", "start", "suspend"),
    S.ESCALATED: ("accept", "escalate"),
    S.RETURNED: ("dispatch", "return"),
    S.HANDLED: ("dispatch", "start", "handle"),
    S.VISITED: ("dispatch", "start", "handle", "confirm"),
    S.CLOSED: ("dispatch", "start", "handle", "confirm", "close"),
}
# The state each action leads to from the paths above (resume: back to in progress).
AFTER = {
    "accept": S.ACCEPTED,
    "dispatch": S.DISPATCHED,
    "start": S.IN_PROGRESS,
    "return": S.RETURNED,
    "suspend": S.SUSPENDED,
    "resume": S.IN_PROGRESS,
    "escalate": S.ESCALATED,
    "transfer": S.SUBMITTED,
    "handle": S.HANDLED,
    "confirm": S.VISITED,
    "reject": S.IN_PROGRESS,
    "callback": S.VISITED,
    "close": S.CLOSED,
    "withdraw": S.CLOSED,
    "merge": S.CLOSED,
}
LATER = at("2026-11-23", "16:00")  # after every path above, before any deadline


def reach(world, state, **kw) -> ServiceRequest:
    return advance(world, submit(world, **kw), *PATHS[state])


def attempt(world, req, action, *, actor=None, now=LATER, original=None):
    """``action`` by a user allowed to do it in principle: the street admin for the desk's work
    (they cover the street, so they may also dispatch an escalated request, and they handled
    nothing, so they may call back), the requester for the requester's."""
    staff = actor or world.users.admin
    requester = actor or world.users.resident
    calls = {
        "accept": lambda: lc.request_accept(actor=as_actor(staff, now=now), req=req),
        "dispatch": lambda: lc.request_dispatch(
            actor=as_actor(staff, now=now), req=req, kind="grid", grid=world.grid_a2
        ),
        "start": lambda: lc.request_start(actor=as_actor(staff, now=now), req=req),
        "return": lambda: lc.request_return(actor=as_actor(staff, now=now), req=req, note="派错了"),
        "suspend": lambda: lc.request_suspend(actor=as_actor(staff, now=now), req=req, note="等居民回复"),
        "resume": lambda: lc.request_resume(actor=as_actor(staff, now=now), req=req),
        "escalate": lambda: lc.request_escalate(actor=as_actor(staff, now=now), req=req, note="社区无法单独解决"),
        "transfer": lambda: lc.request_transfer(
            actor=as_actor(staff, now=now), req=req, region=world.community_b, note="属钢花村"
        ),
        "handle": lambda: lc.request_handle(actor=as_actor(staff, now=now), req=req, result="已处理"),
        "confirm": lambda: lc.request_confirm(actor=as_actor(requester, now=now), req=req, resolved=True),
        "reject": lambda: lc.request_confirm(
            actor=as_actor(requester, now=now), req=req, resolved=False, comment="没解决"
        ),
        # A request handled at the street (escalated) is called back from above it: the district.
        "callback": lambda: lc.request_callback(
            actor=as_actor(
                actor or (beyond_user("district", world) if req.level == HandlingLevel.STREET else staff), now=now
            ),
            req=req,
            answered=True,
            resolved=True,
        ),
        "close": lambda: lc.request_close(actor=as_actor(staff, now=now), req=req),
        "withdraw": lambda: lc.request_withdraw(actor=as_actor(requester, now=now), req=req),
        "merge": lambda: lc.request_merge(actor=as_actor(staff, now=now), req=req, original=original, note="重复反映"),
    }
    return calls[action]()


def counts() -> dict[str, int]:
    return {
        "requests": ServiceRequest.objects.count(),
        "steps": RequestStep.objects.count(),
        "attachments": RequestAttachment.objects.count(),
        "events": Event.objects.count(),
    }


def events_of(req) -> list[Event]:
    kind = ContentType.objects.get_for_model(ServiceRequest)
    return list(Event.objects.filter(target_type=kind, target_id=req.pk).order_by("id"))


def fresh(req) -> ServiceRequest:
    return ServiceRequest.objects.get(pk=req.pk)


def png(name: str = "photo.png", size: int = 200) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"\x89PNG\r\n\x1a\n" + b"\0" * size, content_type="image/png")


def pdf(name: str = "scan.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + b"0" * 100, content_type="application/pdf")


def visible(user, model=ServiceRequest) -> set[int]:
    return set(restrict(model.objects.all(), as_actor(user), "view").values_list("pk", flat=True))


# --- intake -------------------------------------------------------------------------------------


def test_a_resident_submits_for_herself_and_the_region_is_her_home_grid(world):
    req = submit(world)
    assert (req.requester, req.region, req.community) == (world.qian, world.grid_a1, world.community_a)
    assert (req.state, req.channel, req.submitted_by, req.submitted_at) == (
        S.SUBMITTED,
        "web",
        world.users.resident,
        MON_9,
    )
    assert req.level == "community" and req.version == 1 and len(req.token) >= 16
    assert req.phone_encrypted == req.phone_hash == req.phone_masked == ""  # she has a record: no phone needed
    step = req.steps.get()
    assert (step.action, step.old_state, step.new_state, step.actor, step.at) == (
        "submit",
        "",
        S.SUBMITTED,
        world.users.resident,
        MON_9,
    )
    [event] = events_of(req)
    assert (event.action, event.actor) == (EventAction.CREATED, world.users.resident)
    assert event.changes == {"category": [None, req.category.name], "channel": [None, "web"]}


@pytest.mark.parametrize("channel", ["desk", "phone", "reception"])
def test_staff_record_at_the_desk_by_phone_and_at_reception_for_a_person_in_scope(world, channel):
    req = submit(
        world, actor=as_actor(world.users.staff), channel=channel, requester=world.zhang, address="红钢城8街坊"
    )
    assert (req.channel, req.requester, req.region, req.community) == (
        channel,
        world.zhang,
        world.grid_a1,
        world.community_a,
    )
    assert req.submitted_by == world.users.staff and req.address == "红钢城8街坊"
    assert req.steps.get().actor == world.users.staff


def test_staff_record_a_walk_in_without_a_record_with_a_phone(world):
    req = submit(
        world,
        actor=as_actor(world.users.staff),
        channel="desk",
        requester=None,
        region=world.grid_a2,
        contact_name="过路人",
        phone=PHONE,
    )
    assert (req.requester, req.region, req.community, req.contact_name) == (
        None,
        world.grid_a2,
        world.community_a,
        "过路人",
    )
    assert req.phone_masked == "138****5678"


@pytest.mark.parametrize("channel", ["web", "api"])
def test_anyone_without_an_account_submits_with_a_mobile(world, channel):
    req = submit(world, actor=as_actor(AnonymousUser()), channel=channel, region=world.community_a, phone=PHONE)
    assert (req.requester, req.submitted_by, req.region, req.community) == (
        None,
        None,
        world.community_a,
        world.community_a,
    )
    assert req.steps.get().actor is None and events_of(req)[0].actor is None


def test_the_channels_covered_here_are_all_the_channels():
    from dangjian.servicedesk.models import Channel

    assert set(Channel.values) == {"desk", "phone", "reception", "web", "api"}


@pytest.mark.parametrize(
    ("phone", "words"),
    [
        ("", "mobile"),  # "Leave a mobile number so that we can reach you."
        ("12345", "11"),  # "A mobile number has 11 digits; you entered 5."
        ("1381234567a", "digits"),
        ("12812345678", "13"),  # "starts with 13 to 19"
    ],
)
def test_without_an_account_a_valid_mobile_is_needed(world, phone, words):
    before = counts()
    with translation.override("en"), pytest.raises(ValidationError) as err:
        submit(world, actor=as_actor(AnonymousUser()), region=world.grid_a1, phone=phone)
    assert set(err.value.message_dict) == {"phone"}
    assert words in err.value.message_dict["phone"][0]
    assert counts() == before


def test_a_phone_error_reads_in_chinese(world):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as err:
        submit(world, actor=as_actor(AnonymousUser()), region=world.grid_a1, phone="1381234567")
    assert err.value.message_dict["phone"] == ["手机号应为11位，当前输入了10位。"]


def test_errors_of_several_fields_are_reported_together_by_field(world):
    inactive = make_category("retired-service", active=False)
    with pytest.raises(ValidationError) as err:
        submit(
            world, actor=as_actor(AnonymousUser()), category=inactive, description=" x ", region=world.street, phone="1"
        )
    assert set(err.value.message_dict) == {"category", "description", "region", "phone"}


@pytest.mark.parametrize("category", ["inactive", None])
def test_an_inactive_or_missing_category_is_refused(world, category):
    chosen = make_category("retired-service", active=False) if category else None
    before = counts()
    with pytest.raises(ValidationError) as err:
        submit(world, category=chosen)
    assert set(err.value.message_dict) == {"category"}
    assert counts() == before


@pytest.mark.parametrize(
    ("description", "ok"),
    [("灯", False), ("   灯  ", False), ("灯坏", True), ("长" * 2000, True), ("长" * 2001, False), ("", False)],
)
def test_description_length(world, description, ok):
    if ok:
        assert submit(world, description=description).description == description.strip()
        return
    with pytest.raises(ValidationError) as err:
        submit(world, description=description)
    assert set(err.value.message_dict) == {"description"}
    if len(description) > 2000:
        assert "2001" in err.value.message_dict["description"][0]


def test_markup_is_stored_verbatim(world):
    text = '<script>alert("x")</script> 楼道 & 门口'
    assert fresh(submit(world, description=text)).description == text


def test_staff_cannot_record_for_a_person_they_cannot_see(world):
    before = counts()
    with pytest.raises(PermissionDenied):
        submit(world, actor=as_actor(world.users.staff), channel="desk", requester=world.wang)
    with pytest.raises(PermissionDenied):  # a resident cannot submit in someone else's name either
        submit(world, actor=as_actor(world.users.resident), requester=world.zhang)
    with pytest.raises(PermissionDenied):  # nor can someone without an account
        submit(world, actor=as_actor(AnonymousUser()), requester=world.zhang)
    assert counts() == before


@pytest.mark.parametrize("region", ["grid_b1", "community_b"])
def test_staff_cannot_record_at_the_desk_outside_their_community(world, region):
    before = counts()
    with pytest.raises(ValidationError) as err:
        submit(
            world,
            actor=as_actor(world.users.staff),
            channel="desk",
            requester=None,
            region=getattr(world, region),
            phone=PHONE,
        )
    assert set(err.value.message_dict) == {"region"}
    # …nor put a person of theirs into another community's queue.
    with pytest.raises(ValidationError) as err:
        submit(
            world,
            actor=as_actor(world.users.staff),
            channel="desk",
            requester=world.zhang,
            region=getattr(world, region),
        )
    assert set(err.value.message_dict) == {"region"}
    assert counts() == before


@pytest.mark.parametrize("channel", ["desk", "phone", "reception"])
def test_without_an_account_nobody_records_at_the_desk(world, channel):
    with pytest.raises(ValidationError) as err:
        submit(world, actor=as_actor(AnonymousUser()), channel=channel, region=world.grid_a1, phone=PHONE)
    assert set(err.value.message_dict) == {"region"}


@pytest.mark.parametrize("region", ["street", "district"])
def test_a_request_sits_in_a_community_or_grid(world, region):
    with pytest.raises(ValidationError) as err:
        submit(world, actor=as_actor(AnonymousUser()), region=getattr(world, region), phone=PHONE)
    assert set(err.value.message_dict) == {"region"}


def test_an_unknown_channel_is_refused(world):
    with pytest.raises(ValidationError) as err:
        submit(world, channel="carrier-pigeon")
    assert "channel" in err.value.message_dict


def test_attachments_are_saved_with_the_request(world):
    req = submit(world, attachments=[png(), pdf(), None])
    names = sorted(req.attachments.values_list("name", flat=True))
    assert names == ["photo.png", "scan.pdf"]
    assert all(
        a.uploaded_by == world.users.resident and a.file.storage.exists(a.file.name) for a in req.attachments.all()
    )


@pytest.mark.parametrize(
    ("files", "words"),
    [
        ([png(f"p{i}.png") for i in range(6)], "at most 5"),
        ([SimpleUploadedFile("virus.exe", b"MZ\x90\x00" + b"\0" * 100)], "PDF, JPG or PNG"),
        ([SimpleUploadedFile("photo.jpg", b"MZ\x90\x00" + b"\0" * 100, content_type="image/jpeg")], "renamed"),
        ([png("ok.png"), SimpleUploadedFile("scan.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 10)], "renamed"),
        ([png("huge.png", size=5 * 1024 * 1024)], "larger than"),
    ],
)
def test_bad_attachments_are_refused_and_nothing_is_saved(world, settings, files, words):
    from pathlib import Path

    before = counts()
    with translation.override("en"), pytest.raises(ValidationError) as err:
        submit(world, attachments=files)
    assert set(err.value.message_dict) == {"attachments"}
    assert words in " ".join(err.value.message_dict["attachments"])
    assert counts() == before
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_exactly_five_attachments_are_fine(world):
    assert submit(world, attachments=[png(f"p{i}.png") for i in range(5)]).attachments.count() == 5


def test_the_phone_is_stored_encrypted_hashed_and_masked_and_nowhere_in_plain_text(world):
    req = submit(
        world, actor=as_actor(AnonymousUser()), region=world.grid_a1, phone="+86 138-5555-5678", contact_name="周先生"
    )
    req = fresh(req)
    assert crypto.decrypt(req.phone_encrypted) == PHONE
    assert req.phone_hash == crypto.search_hash(PHONE, purpose=lc.PHONE_PURPOSE)
    assert req.phone_masked == "138****5678"
    row = ServiceRequest.objects.filter(pk=req.pk).values().get()
    assert not [name for name, value in row.items() if PHONE in str(value)]
    for step in RequestStep.objects.filter(request=req):
        assert PHONE not in step.note
    for event in events_of(req):
        assert PHONE not in f"{event.changes} {event.reason} {event.target_label}"
    # A requester with a record may leave another number; a bad one is refused, keyed by field.
    staffed = submit(world, actor=as_actor(world.users.staff), channel="phone", requester=world.li, phone="13900003333")
    assert staffed.phone_masked == "139****3333"
    with pytest.raises(ValidationError) as err:
        submit(world, actor=as_actor(world.users.staff), channel="phone", requester=world.li, phone="139")
    assert set(err.value.message_dict) == {"phone"}


def test_deadlines_at_intake_are_in_business_time_over_the_national_day_holiday(world):
    assert is_workday(dt.date(2026, 9, 30)) and not any(is_workday(dt.date(2026, 10, d)) for d in range(1, 8))
    assert is_workday(dt.date(2026, 10, 8))
    one_day = make_category("one-day", response=(2, "hours"), resolution=(1, "days"))
    req = submit(world, category=one_day, now=at("2026-09-30", "16:00"))
    # Wed 30 Sep 16:00–17:30 is 1.5 h; 1–7 Oct are holidays; Thu 8 Oct 08:30 + 0.5 h = 09:00.
    assert req.response_due_at == at("2026-10-08", "09:00")
    # 7 h: 1.5 h on 30 Sep, then 8 Oct 08:30–12:00 (3.5 h) and 14:00–16:00 (2 h).
    assert req.resolution_due_at == at("2026-10-08", "16:00")


def test_deadlines_count_the_tiaoxiu_saturday_as_a_working_day(world):
    assert is_workday(dt.date(2026, 10, 10)) and dt.date(2026, 10, 10).weekday() == 5
    assert not is_workday(dt.date(2026, 10, 11))
    req = submit(world, now=at("2026-10-09", "16:00"))  # Friday; 2 business days = 14 h
    # Fri 16:00–17:30 1.5 h, Sat 10 Oct (调休) 7 h, Sun off, Mon 12 Oct 08:30–12:00 3.5 h + 14:00–16:00 2 h.
    assert req.resolution_due_at == at("2026-10-12", "16:00")
    assert req.response_due_at == at("2026-10-10", "09:00")  # 1.5 h on Friday, 0.5 h on the 调休 Saturday


def test_deadlines_of_a_request_received_on_a_saturday_and_the_default_example(world):
    req = submit(world)
    assert (req.response_due_at, req.resolution_due_at) == (RESPONSE_DUE, RESOLUTION_DUE)
    weekend = submit(world, now=at("2026-11-28", "10:00"))  # a Saturday: the clock starts Monday 08:30
    assert weekend.response_due_at == at("2026-11-30", "10:30")


# --- the state machine: every action from every state ------------------------------------------


def test_the_tables_of_these_tests_cover_the_whole_state_machine():
    assert set(PATHS) == set(S.values)
    assert set(lc.TRANSITIONS) == set(AFTER)
    for action, states in lc.TRANSITIONS.items():
        assert set(states) <= set(S.values), action


@pytest.mark.parametrize("state", list(S.values))
@pytest.mark.parametrize("action", sorted(lc.TRANSITIONS))
def test_every_action_is_allowed_exactly_from_its_listed_states(world, action, state):
    original = submit(world, description="同一盏灯，邻居也报了")
    req = reach(world, state)
    version = req.version
    if state in lc.TRANSITIONS[action]:
        done = attempt(world, req, action, original=original)
        # A callback after the requester's own answer (the sample is independent of it) leaves
        # the request where it is.
        after = state if action == "callback" and state != S.HANDLED else AFTER[action]
        assert done.state == after
        assert done.version == version + 1
        last = done.steps.order_by("-at", "-id").first()
        assert (last.action, last.old_state, last.new_state) == (action, state, after)
        return
    with pytest.raises(ValidationError) as err:
        attempt(world, req, action, original=original)
    assert err.value.code == "state"
    assert str(S(state).label) in err.value.messages[0]
    after = fresh(req)
    assert (after.state, after.version) == (state, version)


# --- who may do what ----------------------------------------------------------------------------


# A state from which each action is allowed, reached along PATHS.
FROM = {
    "accept": S.SUBMITTED,
    "dispatch": S.SUBMITTED,
    "start": S.DISPATCHED,
    "return": S.IN_PROGRESS,
    "suspend": S.IN_PROGRESS,
    "resume": S.SUSPENDED,
    "escalate": S.IN_PROGRESS,
    "transfer": S.ACCEPTED,
    "handle": S.IN_PROGRESS,
    "confirm": S.HANDLED,
    "reject": S.HANDLED,
    "callback": S.HANDLED,
    "close": S.VISITED,
    "withdraw": S.IN_PROGRESS,
    "merge": S.IN_PROGRESS,
}


@pytest.mark.parametrize("action", sorted(lc.TRANSITIONS))
def test_community_bs_secretary_may_do_nothing_to_community_as_requests(world, action):
    outsiders_own = submit(world, actor=as_actor(world.users.outsider), channel="desk", requester=world.wang)
    req = reach(world, FROM[action])
    steps = req.steps.count()
    with pytest.raises(PermissionDenied):
        attempt(world, req, action, actor=as_actor(world.users.outsider), original=outsiders_own)
    assert fresh(req).state == FROM[action] and req.steps.count() == steps


@pytest.mark.parametrize(
    "action", ["accept", "dispatch", "escalate", "transfer", "close", "merge", "suspend", "handle"]
)
def test_community_as_staff_may_do_the_desks_work(world, action):
    original = submit(world, description="重复的")
    req = reach(world, FROM[action])
    assert attempt(world, req, action, actor=as_actor(world.users.staff), original=original).state == AFTER[action]


@pytest.mark.parametrize("action", ["start", "suspend", "resume", "return", "handle"])
def test_the_handler_may_start_suspend_resume_return_and_handle(world, action):
    req = reach(world, FROM[action])
    assert req.assignee_user == world.users.member
    done = attempt(world, req, action, actor=as_actor(world.users.member))
    assert done.state == AFTER[action]
    assert done.steps.order_by("-id").first().actor == world.users.member


@pytest.mark.parametrize("action", ["accept", "dispatch", "escalate", "transfer", "close", "merge", "callback"])
def test_the_handler_may_not_do_the_desks_work(world, action):
    original = submit(world, description="重复的")
    if action == "merge":  # an original he can see, so that only his lack of rights stops him
        original = do(world, original, "dispatch", LATER)
        assert lc.allowed(as_actor(world.users.member), "view", original)
    req = reach(world, FROM[action])
    if req.assignee_user is None:  # no assignee in these states through the lifecycle: give one
        ServiceRequest.objects.filter(pk=req.pk).update(
            assignee_kind="volunteer", assignee_user=world.users.member, assignee_person=world.zhao
        )
        req = fresh(req)
    else:
        assert req.assignee_user == world.users.member
    with pytest.raises(PermissionDenied):
        attempt(world, req, action, actor=as_actor(world.users.member), original=original)
    assert fresh(req).state == FROM[action]


def test_the_handler_may_write_internal_notes(world):
    req = reach(world, S.IN_PROGRESS)
    done = lc.request_note(actor=as_actor(world.users.member, now=LATER), req=req, note="明天带梯子")
    step = done.steps.order_by("-id").first()
    assert (step.action, step.is_public, step.note, done.state) == ("note", False, "明天带梯子", S.IN_PROGRESS)
    with pytest.raises(PermissionDenied):
        lc.request_note(actor=as_actor(world.users.resident, now=LATER), req=req, note="我也想写")


@pytest.mark.parametrize("action", ["confirm", "reject", "withdraw"])
def test_the_requester_confirms_rejects_and_withdraws_only_her_own(world, action):
    own = reach(world, FROM[action])
    assert attempt(world, own, action, actor=as_actor(world.users.resident)).state == AFTER[action]
    zhangs = advance(
        world,
        submit(world, actor=as_actor(world.users.staff), channel="desk", requester=world.zhang),
        *PATHS[FROM[action]],
    )
    for intruder in (world.users.resident, world.users.staff, world.users.member):
        with pytest.raises(PermissionDenied):
            attempt(world, zhangs, action, actor=as_actor(intruder))
    assert fresh(zhangs).state == FROM[action]


def test_the_requester_adds_information_only_to_her_own(world):
    own = reach(world, S.DISPATCHED)
    done = lc.request_add_info(
        actor=as_actor(world.users.resident, now=LATER), req=own, note="是三楼的灯", attachments=[png()]
    )
    step = done.steps.order_by("-id").first()
    assert (step.action, step.note, step.actor, done.state) == (
        "info",
        "是三楼的灯",
        world.users.resident,
        S.DISPATCHED,
    )
    assert done.attachments.get().uploaded_by == world.users.resident
    zhangs = submit(world, actor=as_actor(world.users.staff), channel="desk", requester=world.zhang)
    with pytest.raises(PermissionDenied):
        lc.request_add_info(actor=as_actor(world.users.resident, now=LATER), req=zhangs, note="我来补充")
    with pytest.raises(ValidationError) as err:
        lc.request_add_info(actor=as_actor(world.users.resident, now=LATER), req=own, note="  ")
    assert set(err.value.message_dict) == {"note"}
    with pytest.raises(ValidationError) as err:  # five at most, counting those already there
        lc.request_add_info(
            actor=as_actor(world.users.resident, now=LATER),
            req=own,
            note="更多照片",
            attachments=[png(f"{i}.png") for i in range(5)],
        )
    assert set(err.value.message_dict) == {"attachments"}
    closed = advance(world, reach(world, S.VISITED), "close", start=LATER)
    with pytest.raises(ValidationError) as err:
        lc.request_add_info(actor=as_actor(world.users.resident, now=LATER), req=closed, note="还有一件事")
    assert err.value.code == "state"


@pytest.mark.parametrize("action", ["accept", "dispatch", "start", "handle", "close", "escalate"])
def test_the_requester_cannot_do_the_desks_work(world, action):
    req = reach(world, FROM[action])
    with pytest.raises(PermissionDenied):
        attempt(world, req, action, actor=as_actor(world.users.resident))


def test_without_an_account_the_token_is_the_key(world):
    req = submit(world, actor=as_actor(AnonymousUser()), channel="api", region=world.grid_a1, phone=PHONE)
    req = advance(world, req, "dispatch", "start", "handle")
    for wrong in ("", "x" * 22, req.token[:-1], req.token + "x"):
        with pytest.raises(PermissionDenied):
            lc.request_confirm(actor=as_actor(AnonymousUser(), now=LATER), req=req, resolved=True, token=wrong)
    assert fresh(req).state == S.HANDLED
    done = lc.request_confirm(
        actor=as_actor(AnonymousUser(), now=LATER), req=req, resolved=True, score=4, token=req.token
    )
    assert (done.state, done.outcome, done.outcome_source) == (S.VISITED, Outcome.RESOLVED, OutcomeSource.RESIDENT)
    assert done.steps.order_by("-id").first().actor is None
    assert Rating.objects.get(request=req).score == 4


def test_a_non_ascii_token_is_simply_wrong(world):
    req = advance(
        world,
        submit(world, actor=as_actor(AnonymousUser()), region=world.grid_a1, phone=PHONE),
        "dispatch",
        "start",
        "handle",
    )
    with pytest.raises(PermissionDenied):
        lc.request_confirm(actor=as_actor(AnonymousUser(), now=LATER), req=req, resolved=True, token="令牌不对")


def _may_case(world, case):
    """(request, actor, action, attempt) for the consistency test of may()."""
    u = world.users
    if case == "handler-resume":
        req = reach(world, S.SUSPENDED)
        return req, u.member, "resume", lambda: lc.request_resume(actor=as_actor(u.member, now=LATER), req=req)
    if case == "handler-note":
        req = reach(world, S.IN_PROGRESS)
        return (
            req,
            u.member,
            "note",
            lambda: lc.request_note(actor=as_actor(u.member, now=LATER), req=req, note="记一下"),
        )
    if case == "requester-info":
        req = reach(world, S.DISPATCHED)
        return (
            req,
            u.resident,
            "info",
            lambda: lc.request_add_info(actor=as_actor(u.resident, now=LATER), req=req, note="补充"),
        )
    if case == "staff-sign-off":
        req = lc.request_classify(
            actor=as_actor(u.secretary, now=LATER),
            req=reach(world, S.ACCEPTED),
            classification="untrue",
            note="现场核实无此事",
        )
        return req, u.staff, "sign_off", lambda: lc.request_sign_off(actor=as_actor(u.staff, now=LATER), req=req)
    if case == "requester-classify":
        req = reach(world, S.ACCEPTED)
        return (
            req,
            u.resident,
            "classify",
            lambda: lc.request_classify(
                actor=as_actor(u.resident, now=LATER), req=req, classification="untrue", note="x"
            ),
        )
    if case == "staff-escalated-dispatch":
        req = reach(world, S.ESCALATED)
        return req, u.staff, "dispatch", lambda: attempt(world, req, "dispatch", actor=as_actor(u.staff))
    if case == "admin-escalated-dispatch":
        req = reach(world, S.ESCALATED)
        return req, u.admin, "dispatch", lambda: attempt(world, req, "dispatch", actor=as_actor(u.admin))
    if case == "handler-callback":
        req = reach(world, S.HANDLED)
        Callback.objects.create(request=req)  # sampled
        return req, u.member, "callback", lambda: attempt(world, req, "callback", actor=as_actor(u.member))
    if case == "secretary-callback":  # inside the handling unit
        req = reach(world, S.HANDLED)
        Callback.objects.create(request=req)  # sampled
        return req, u.secretary, "callback", lambda: attempt(world, req, "callback", actor=as_actor(u.secretary))
    if case == "admin-callback":  # the street: outside it
        req = reach(world, S.HANDLED)
        Callback.objects.create(request=req)  # sampled
        return req, u.admin, "callback", lambda: attempt(world, req, "callback", actor=as_actor(u.admin))
    if case == "staff-confirm":
        req = reach(world, S.HANDLED)
        return req, u.staff, "confirm", lambda: attempt(world, req, "confirm", actor=as_actor(u.staff))
    if case == "handler-handle":
        req = reach(world, S.IN_PROGRESS)
        return req, u.member, "handle", lambda: attempt(world, req, "handle", actor=as_actor(u.member))
    if case == "handler-close":
        req = reach(world, S.VISITED)
        return req, u.member, "close", lambda: attempt(world, req, "close", actor=as_actor(u.member))
    raise AssertionError(case)


@pytest.mark.parametrize(
    "case",
    [
        "staff-escalated-dispatch",
        "admin-escalated-dispatch",
        "handler-callback",
        "secretary-callback",
        "admin-callback",
        "staff-confirm",
        "handler-handle",
        "handler-close",
        "requester-classify",
        "handler-resume",
        "handler-note",
        "requester-info",
        "staff-sign-off",
    ],
)
def test_may_agrees_with_what_the_transition_allows(world, case):
    req, actor, action, run = _may_case(world, case)
    shown = lc.may(as_actor(actor), req, action)
    try:
        run()
    except PermissionDenied:
        performed = False
    else:
        performed = True
    assert shown == performed


def test_may_checks_the_state_first(world):
    req = reach(world, S.SUBMITTED)
    assert lc.may(as_actor(world.users.staff), req, "accept") and not lc.may(as_actor(world.users.staff), req, "close")
    assert not lc.may(as_actor(world.users.outsider), req, "accept")
    assert not lc.may(as_actor(world.users.resident), req, "confirm") and lc.may(
        as_actor(world.users.resident), req, "withdraw"
    )


def test_may_reopen_uses_the_clock(world):
    req = advance(world, reach(world, S.VISITED), "close", start=LATER)
    with time_machine.travel(LATER + dt.timedelta(days=29), tick=False):
        assert lc.may(as_actor(world.users.resident), req, "reopen") and lc.may(
            as_actor(world.users.staff), req, "reopen"
        )
        assert not lc.may(as_actor(world.users.outsider), req, "reopen")
    with time_machine.travel(LATER + dt.timedelta(days=31), tick=False):
        assert not lc.may(as_actor(world.users.resident), req, "reopen")


# --- steps and events ---------------------------------------------------------------------------


@pytest.mark.parametrize("action", sorted(lc.TRANSITIONS))
def test_each_transition_writes_one_step_and_one_event(world, action):
    original = submit(world, description="原来那条")
    req = reach(world, FROM[action])
    steps, events = req.steps.count(), len(events_of(req))
    moment = at("2026-11-23", "16:30")
    actor = world.users.resident if action in ("confirm", "reject", "withdraw") else world.users.admin
    done = attempt(world, req, action, actor=as_actor(actor), now=moment, original=original)
    assert done.steps.count() == steps + 1
    step = done.steps.order_by("-id").first()
    assert (step.action, step.old_state, step.new_state, step.actor, step.at) == (
        action,
        FROM[action],
        AFTER[action],
        actor,
        moment,
    )
    new_events = events_of(req)[events:]
    assert len(new_events) == 1
    [event] = new_events
    assert event.actor == actor
    assert event.action == EventAction.STATUS_CHANGED
    assert event.changes == {"state": [FROM[action], AFTER[action]]}
    assert event.reason == step.note
    # Notes are kept as written (the merge note names the original it repeats).
    expected = {
        "return": "派错了",
        "suspend": "等居民回复",
        "escalate": "社区无法单独解决",
        "transfer": "属钢花村",
        "handle": "已处理",
        "reject": "没解决",
        "merge": f"{original.number}: 重复反映",
    }
    assert step.note == expected.get(action, "")


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("return", "note"),
        ("suspend", "note"),
        ("escalate", "note"),
        ("transfer", "note"),
        ("handle", "result"),
        ("reject", "comment"),
        ("info", "note"),
        ("note", "note"),
        ("classify", "note"),
        ("reopen", "note"),
    ],
)
def test_notes_are_required_where_the_work_needs_a_reason(world, name, field):
    u = world.users
    state = {
        "return": S.IN_PROGRESS,
        "suspend": S.IN_PROGRESS,
        "escalate": S.IN_PROGRESS,
        "transfer": S.ACCEPTED,
        "handle": S.IN_PROGRESS,
        "reject": S.HANDLED,
        "info": S.DISPATCHED,
        "note": S.DISPATCHED,
        "classify": S.ACCEPTED,
        "reopen": S.VISITED,
    }[name]
    req = reach(world, state)
    calls = {
        "return": lambda: lc.request_return(actor=as_actor(u.staff, now=LATER), req=req, note="  "),
        "suspend": lambda: lc.request_suspend(actor=as_actor(u.staff, now=LATER), req=req, note=""),
        "escalate": lambda: lc.request_escalate(actor=as_actor(u.staff, now=LATER), req=req, note=" "),
        "transfer": lambda: lc.request_transfer(
            actor=as_actor(u.staff, now=LATER), req=req, region=world.community_b, note=""
        ),
        "handle": lambda: lc.request_handle(actor=as_actor(u.staff, now=LATER), req=req, result=" "),
        "reject": lambda: lc.request_confirm(
            actor=as_actor(u.resident, now=LATER), req=req, resolved=False, comment=" "
        ),
        "info": lambda: lc.request_add_info(actor=as_actor(u.resident, now=LATER), req=req, note=""),
        "note": lambda: lc.request_note(actor=as_actor(u.staff, now=LATER), req=req, note=""),
        "classify": lambda: lc.request_classify(
            actor=as_actor(u.staff, now=LATER), req=req, classification="untrue", note=" "
        ),
        "reopen": lambda: lc.request_reopen(actor=as_actor(u.resident, now=LATER), req=req, note=" "),
    }
    before = counts()
    with pytest.raises(ValidationError) as err:
        calls[name]()
    assert set(err.value.message_dict) == {field}
    assert counts() == before
    assert fresh(req).state == state


def test_a_note_longer_than_the_limit_is_refused(world):
    req = reach(world, S.IN_PROGRESS)
    with pytest.raises(ValidationError) as err:
        lc.request_suspend(actor=as_actor(world.users.staff, now=LATER), req=req, note="等" * 1001)
    assert set(err.value.message_dict) == {"note"}
    assert (
        lc.request_suspend(actor=as_actor(world.users.staff, now=LATER), req=req, note="等" * 1000).state == S.SUSPENDED
    )


def test_a_long_reply_within_the_reply_limit_is_accepted(world):
    req = reach(world, S.IN_PROGRESS)
    result = "已处理。" * 375  # 1500 characters, under DESCRIPTION_MAX
    assert lc.request_handle(actor=as_actor(world.users.staff, now=LATER), req=req, result=result).result == result


def test_a_long_comment_is_refused_keyed_by_comment(world):
    req = reach(world, S.HANDLED)
    with pytest.raises(ValidationError) as err:
        lc.request_confirm(
            actor=as_actor(world.users.resident, now=LATER), req=req, resolved=False, comment="没" * 1001
        )
    assert set(err.value.message_dict) == {"comment"}


def test_a_reply_over_the_limit_is_refused_keyed_by_result(world):
    req = reach(world, S.IN_PROGRESS)
    with pytest.raises(ValidationError) as err:
        lc.request_handle(actor=as_actor(world.users.staff, now=LATER), req=req, result="长" * 2001)
    assert set(err.value.message_dict) == {"result"}


# --- first response -----------------------------------------------------------------------------


def test_accepting_is_the_first_response_and_later_work_never_moves_it(world):
    req = submit(world)
    t = at("2026-11-23", "09:30")
    req = lc.request_accept(actor=as_actor(world.users.staff, now=t), req=req)
    assert req.first_response_at == t and not req.response_breached
    req = advance(world, req, "dispatch", "start", "escalate", start=at("2026-11-23", "10:00"))
    assert req.level == "street"
    req = lc.request_dispatch(
        actor=as_actor(world.users.admin, now=at("2026-11-23", "11:00")), req=req, kind="volunteer", person=world.zhao
    )
    req = advance(world, req, "start", "handle", start=at("2026-11-23", "11:10"))
    assert fresh(req).first_response_at == t


def test_dispatching_a_submitted_request_is_the_first_response(world):
    t = at("2026-11-23", "10:15")
    req = do(world, submit(world), "dispatch", t)
    assert (req.state, req.first_response_at) == (S.DISPATCHED, t)
    again = lc.request_dispatch(
        actor=as_actor(world.users.staff, now=at("2026-11-23", "10:30")), req=req, kind="grid", grid=world.grid_a2
    )
    assert again.first_response_at == t


def test_escalating_and_handling_keep_the_first_response(world):
    req = do(world, submit(world), "accept", at("2026-11-23", "09:05"))
    req = do(world, req, "escalate", at("2026-11-23", "09:30"))
    assert req.first_response_at == at("2026-11-23", "09:05")
    req = do(world, do(world, reach(world, S.DISPATCHED), "handle", LATER), "confirm", LATER)
    assert req.first_response_at == MON_9 + dt.timedelta(minutes=10)


def test_transfer_is_not_a_response_and_the_response_clock_keeps_running(world):
    req = do(world, submit(world), "transfer", at("2026-11-23", "09:30"))
    assert (req.first_response_at, req.response_due_at) == (None, RESPONSE_DUE)
    late = lc.request_accept(actor=as_actor(world.users.outsider, now=at("2026-11-23", "11:30")), req=req)
    assert late.first_response_at == at("2026-11-23", "11:30") and late.response_breached


def test_a_late_acceptance_breaches_the_response_target(world):
    on_time = lc.request_accept(actor=as_actor(world.users.staff, now=RESPONSE_DUE), req=submit(world))
    assert not on_time.response_breached
    late = lc.request_accept(
        actor=as_actor(world.users.staff, now=RESPONSE_DUE + dt.timedelta(seconds=1)), req=submit(world)
    )
    assert late.response_breached


# --- the SLA clock ------------------------------------------------------------------------------


def test_a_pause_moves_the_resolution_deadline_by_the_business_time_on_hold(world):
    req = advance(world, submit(world), "accept", "dispatch", "start")  # by 09:30
    req = lc.request_suspend(actor=as_actor(world.users.member, now=at("2026-11-23", "10:00")), req=req, note="等照片")
    assert (req.state, req.paused_since) == (S.SUSPENDED, at("2026-11-23", "10:00"))
    req = lc.request_resume(actor=as_actor(world.users.member, now=at("2026-11-23", "15:00")), req=req)
    # On hold 10:00–12:00 and 14:00–15:00: 3 business hours. Wed 09:00 + 3 h = Wed 12:00.
    assert (req.state, req.paused_since) == (S.IN_PROGRESS, None)
    assert req.resolution_due_at == at("2026-11-25", "12:00")
    assert req.response_due_at == RESPONSE_DUE  # already responded: not moved
    assert not req.resolution_breached
    step = req.steps.order_by("-id").first()
    assert (step.action, step.old_state, step.new_state) == ("resume", S.SUSPENDED, S.IN_PROGRESS)


def test_two_pauses_add_up(world):
    req = advance(world, submit(world), "dispatch", "start")
    for start, end in (("2026-11-23 10:00", "2026-11-23 15:00"), ("2026-11-24 10:00", "2026-11-24 16:00")):
        req = lc.request_suspend(actor=as_actor(world.users.staff, now=at(*start.split())), req=req, note="等回复")
        req = lc.request_resume(actor=as_actor(world.users.staff, now=at(*end.split())), req=req)
    # Used: Mon 09:00–10:00 (1 h), 15:00–17:30 (2.5 h), Tue 08:30–10:00 (1.5 h), 16:00–17:30 (1.5 h)
    # = 6.5 h; Wed 7 h = 13.5 h; Thu 08:30 + 0.5 h.
    assert fresh(req).resolution_due_at == at("2026-11-26", "09:00")
    assert req.state == S.IN_PROGRESS


def test_a_pause_over_a_weekend_counts_business_time_only(world):
    req = advance(world, submit(world, now=at("2026-11-27", "09:00")), "dispatch", "start")  # a Friday
    assert req.resolution_due_at == at("2026-12-01", "09:00")  # Fri 6.5 h, Mon 7 h, Tue 0.5 h
    req = lc.request_suspend(actor=as_actor(world.users.staff, now=at("2026-11-27", "16:00")), req=req, note="等回复")
    req = lc.request_resume(actor=as_actor(world.users.staff, now=at("2026-11-30", "09:30")), req=req)
    # On hold Fri 16:00–17:30 and Mon 08:30–09:30: 2.5 business hours, although 65.5 hours passed.
    assert req.resolution_due_at == at("2026-12-01", "11:30")


def test_a_pause_over_the_national_day_holiday_counts_business_time_only(world):
    req = advance(world, submit(world, now=at("2026-09-30", "09:00")), "dispatch", "start")
    assert req.resolution_due_at == at("2026-10-09", "09:00")  # 30 Sep 6.5 h, 8 Oct 7 h, 9 Oct 0.5 h
    req = lc.request_suspend(actor=as_actor(world.users.staff, now=at("2026-09-30", "16:00")), req=req, note="等回复")
    req = lc.request_resume(actor=as_actor(world.users.staff, now=at("2026-10-08", "10:00")), req=req)
    # On hold 30 Sep 16:00–17:30 and 8 Oct 08:30–10:00: 3 business hours.
    assert req.resolution_due_at == at("2026-10-09", "12:00")


def test_adding_information_ends_a_pause_like_resuming(world):
    req = advance(world, submit(world), "dispatch", "start")
    req = lc.request_suspend(
        actor=as_actor(world.users.member, now=at("2026-11-23", "10:00")), req=req, note="请提供照片"
    )
    req = lc.request_add_info(
        actor=as_actor(world.users.resident, now=at("2026-11-23", "15:00")),
        req=req,
        note="照片在附件",
        attachments=[png()],
    )
    assert (req.state, req.paused_since, req.resolution_due_at) == (S.IN_PROGRESS, None, at("2026-11-25", "12:00"))
    step = req.steps.order_by("-id").first()
    assert (step.action, step.old_state, step.new_state) == ("info", S.SUSPENDED, S.IN_PROGRESS)


def test_resuming_returns_to_the_state_before_the_pause(world):
    req = lc.request_suspend(actor=as_actor(world.users.staff, now=LATER), req=reach(world, S.ACCEPTED), note="等回复")
    assert (
        lc.request_resume(actor=as_actor(world.users.staff, now=LATER + dt.timedelta(minutes=5)), req=req).state
        == S.ACCEPTED
    )
    req = lc.request_suspend(
        actor=as_actor(world.users.staff, now=LATER), req=reach(world, S.DISPATCHED), note="等回复"
    )
    assert (
        lc.request_resume(actor=as_actor(world.users.staff, now=LATER + dt.timedelta(minutes=5)), req=req).state
        == S.DISPATCHED
    )


def test_a_breach_stays_a_breach_through_a_pause(world):
    req = advance(world, submit(world), "dispatch", "start")
    late = at("2026-11-26", "10:00")  # the day after the deadline (Wed 09:00)
    req = lc.request_suspend(actor=as_actor(world.users.staff, now=late), req=req, note="等回复")
    assert req.resolution_breached
    req = lc.request_resume(actor=as_actor(world.users.staff, now=at("2026-11-26", "15:00")), req=req)
    assert req.resolution_due_at == RESOLUTION_DUE  # a pause after the deadline cannot move it
    assert req.resolution_breached
    req = do(world, req, "handle", at("2026-11-26", "15:10"))
    assert fresh(req).resolution_breached


def test_a_request_on_hold_when_the_deadline_would_have_passed_is_not_late(world):
    req = advance(world, submit(world), "dispatch", "start")
    req = lc.request_suspend(actor=as_actor(world.users.staff, now=at("2026-11-23", "10:00")), req=req, note="等回复")
    assert (
        lc.sweep(actor=as_actor(now=at("2026-11-25", "10:00")))["resolution_breaches"] == 0
    )  # the sweep agrees: on hold
    req = lc.request_resume(actor=as_actor(world.users.staff, now=at("2026-11-25", "10:00")), req=req)
    # 1 h used before the pause; 13 h remain from Wed 10:00: Wed 5.5 h, Thu 7 h, Fri 08:30 + 0.5 h.
    assert req.resolution_due_at == at("2026-11-27", "09:00")
    assert not req.resolution_breached


def test_a_request_withdrawn_in_time_does_not_become_late_later(world):
    req = do(world, reach(world, S.DISPATCHED), "withdraw", at("2026-11-23", "10:00"))
    assert not req.resolution_breached
    assert lc.sweep(actor=as_actor(now=at("2026-12-10", "10:00")))["resolution_breaches"] == 0
    req = lc.request_classify(
        actor=as_actor(world.users.staff, now=at("2026-12-10", "10:00")),
        req=req,
        classification="unreasonable",
        note="无理诉求",
    )
    assert not req.resolution_breached


def test_handling_late_sets_the_resolution_breach_and_in_time_does_not(world):
    on_time = do(world, reach(world, S.IN_PROGRESS), "handle", RESOLUTION_DUE)
    assert (on_time.handled_at, on_time.resolution_breached) == (RESOLUTION_DUE, False)
    late = do(world, reach(world, S.IN_PROGRESS), "handle", RESOLUTION_DUE + dt.timedelta(minutes=1))
    assert late.resolution_breached
    # A breach outlives the outcome: confirming it resolved does not clear it.
    assert do(world, late, "confirm", at("2026-11-26", "10:00")).resolution_breached


def test_handle_seconds_are_business_seconds_without_the_pauses_and_a_rejection_clears_them(world):
    req = advance(world, submit(world), "dispatch", "start")
    req = lc.request_suspend(actor=as_actor(world.users.member, now=at("2026-11-23", "10:00")), req=req, note="等照片")
    req = lc.request_resume(actor=as_actor(world.users.member, now=at("2026-11-23", "15:00")), req=req)
    req = do(world, req, "handle", at("2026-11-24", "10:00"))
    # Mon 09:00–10:00 (1 h) + 15:00–17:30 (2.5 h) + Tue 08:30–10:00 (1.5 h) = 5 h.
    assert (req.state, req.handled_at, req.handle_seconds) == (S.HANDLED, at("2026-11-24", "10:00"), 5 * H)
    assert req.result == "已更换灯泡" and req.outcome == ""  # 办结 is not "resolved"
    req = do(world, req, "reject", at("2026-11-24", "11:00"))
    assert (req.state, req.handled_at, req.handle_seconds) == (S.IN_PROGRESS, None, None)
    req = do(world, req, "handle", at("2026-11-24", "15:00"))
    assert req.handle_seconds == 5 * H + 2 * H + H  # Tue 10:00–12:00 and 14:00–15:00 more


# --- the sweep ----------------------------------------------------------------------------------


def test_the_sweep_flags_a_missed_first_response_once(world):
    waiting = submit(world)
    answered = do(world, submit(world), "accept", at("2026-11-23", "09:30"))
    assert lc.sweep(actor=as_actor(now=RESPONSE_DUE)) == {
        "response_breaches": 0,
        "resolution_breaches": 0,
        "closed_unconfirmed": 0,
    }
    result = lc.sweep(actor=as_actor(now=RESPONSE_DUE + dt.timedelta(minutes=1)))
    assert result["response_breaches"] == 1
    assert fresh(waiting).response_breached and not fresh(answered).response_breached
    assert lc.sweep(actor=as_actor(now=RESPONSE_DUE + dt.timedelta(minutes=2)))["response_breaches"] == 0


def test_the_sweep_flags_a_missed_resolution_with_a_breach_step_once(world):
    open_ = reach(world, S.IN_PROGRESS)
    handled = reach(world, S.HANDLED)
    held = reach(world, S.SUSPENDED)
    after = RESOLUTION_DUE + dt.timedelta(minutes=1)
    assert lc.sweep(actor=as_actor(now=RESOLUTION_DUE))["resolution_breaches"] == 0
    result = lc.sweep(actor=as_actor(now=after))
    assert result["resolution_breaches"] == 1
    assert fresh(open_).resolution_breached
    assert not fresh(handled).resolution_breached and not fresh(held).resolution_breached
    breach = open_.steps.get(action="breach")
    assert (breach.old_state, breach.new_state, breach.at, breach.actor, breach.is_public) == (
        S.IN_PROGRESS,
        S.IN_PROGRESS,
        after,
        None,
        False,
    )
    snapshot = list(ServiceRequest.objects.order_by("pk").values())
    steps = RequestStep.objects.count()
    assert lc.sweep(actor=as_actor(now=after + dt.timedelta(minutes=5))) == {
        "response_breaches": 0,
        "resolution_breaches": 0,
        "closed_unconfirmed": 0,
    }
    assert list(ServiceRequest.objects.order_by("pk").values()) == snapshot
    assert RequestStep.objects.count() == steps


def test_the_sweep_closes_handled_requests_nobody_confirmed(world):
    handled_at = at("2026-11-23", "10:00")
    req = advance(world, submit(world), "dispatch", "start", "handle", start=at("2026-11-23", "09:40"))
    assert req.handled_at == handled_at
    confirmed = do(world, reach(world, S.HANDLED), "confirm", LATER)
    limit = handled_at + dt.timedelta(days=config().confirm_days)
    assert lc.sweep(actor=as_actor(now=limit))["closed_unconfirmed"] == 0
    assert fresh(req).state == S.HANDLED
    now = limit + dt.timedelta(minutes=1)
    assert lc.sweep(actor=as_actor(now=now))["closed_unconfirmed"] == 1
    closed = fresh(req)
    assert (closed.state, closed.close_reason, closed.closed_at, closed.outcome) == (
        S.CLOSED,
        CloseReason.NO_ANSWER,
        now,
        "",
    )
    assert closed.version == req.version + 1
    step = closed.steps.order_by("-id").first()
    assert (step.action, step.old_state, step.new_state, step.at) == ("close", S.HANDLED, S.CLOSED, now)
    assert fresh(confirmed).state == S.VISITED
    snapshot = list(ServiceRequest.objects.order_by("pk").values())
    assert lc.sweep(actor=as_actor(now=now + dt.timedelta(hours=1)))["closed_unconfirmed"] == 0
    assert list(ServiceRequest.objects.order_by("pk").values()) == snapshot


def test_the_sweeps_closing_is_an_event(world):
    req = reach(world, S.HANDLED)
    events = len(events_of(req))
    lc.sweep(actor=as_actor(now=req.handled_at + dt.timedelta(days=config().confirm_days, hours=1)))
    assert len(events_of(req)) == events + 1


def test_an_earlier_rejection_does_not_stay_the_outcome(world):
    req = do(world, reach(world, S.HANDLED), "reject", LATER)
    req = do(world, req, "handle", at("2026-11-24", "10:00"))
    lc.sweep(actor=as_actor(now=at("2026-12-02", "10:00")))
    closed = fresh(req)
    assert closed.close_reason == CloseReason.NO_ANSWER
    assert closed.outcome == ""


# --- confirmation and rating --------------------------------------------------------------------


def test_the_requester_confirms_it_resolved_and_rates_it(world):
    req = do(world, reach(world, S.HANDLED), "confirm", LATER)
    assert (req.state, req.outcome, req.outcome_source, req.outcome_at) == (
        S.VISITED,
        Outcome.RESOLVED,
        OutcomeSource.RESIDENT,
        LATER,
    )
    rating = Rating.objects.get(request=req)
    assert (rating.score, rating.source, rating.rated_at) == (5, OutcomeSource.RESIDENT, LATER)
    assert lc.request_close(actor=as_actor(world.users.staff, now=LATER), req=req).close_reason == CloseReason.CONFIRMED


@pytest.mark.parametrize("score", [0, 6, -1, "x", "5.5", 2.5j])
def test_a_rating_is_one_to_five(world, score):
    req = reach(world, S.HANDLED)
    before = counts()
    with pytest.raises(ValidationError) as err:
        lc.request_confirm(actor=as_actor(world.users.resident, now=LATER), req=req, resolved=True, score=score)
    assert set(err.value.message_dict) == {"score"}
    assert counts() == before and not Rating.objects.exists()
    assert fresh(req).state == S.HANDLED


@pytest.mark.parametrize(("score", "stored"), [(1, 1), ("3", 3), (5, 5), (None, None), ("", None)])
def test_valid_ratings_and_no_rating(world, score, stored):
    req = reach(world, S.HANDLED)
    lc.request_confirm(actor=as_actor(world.users.resident, now=LATER), req=req, resolved=True, score=score)
    assert Rating.objects.filter(request=req).values_list("score", flat=True).first() == stored


def test_not_resolved_needs_words_and_sends_it_back_to_the_handler(world):
    req = reach(world, S.HANDLED)
    with pytest.raises(ValidationError) as err:
        lc.request_confirm(actor=as_actor(world.users.resident, now=LATER), req=req, resolved=False, comment="")
    assert set(err.value.message_dict) == {"comment"}
    done = lc.request_confirm(
        actor=as_actor(world.users.resident, now=LATER), req=req, resolved=False, comment="灯还是不亮", score=2
    )
    assert (done.state, done.handled_at, done.handle_seconds, done.assignee_user) == (
        S.IN_PROGRESS,
        None,
        None,
        world.users.member,
    )
    step = done.steps.order_by("-id").first()
    assert (step.action, step.note, step.old_state, step.new_state) == (
        "reject",
        "灯还是不亮",
        S.HANDLED,
        S.IN_PROGRESS,
    )
    assert Rating.objects.get(request=req).score == 2
    assert (
        lc.request_handle(actor=as_actor(world.users.member, now=LATER), req=done, result="换了开关").state == S.HANDLED
    )


# --- callbacks ----------------------------------------------------------------------------------


def test_the_handler_cannot_call_back_their_own_work(world):
    req = reach(world, S.HANDLED)
    assert req.assignee_user == world.users.member
    with pytest.raises(PermissionDenied):
        lc.request_callback(actor=as_actor(world.users.member, now=LATER), req=req, answered=True, resolved=True)
    assert not Callback.objects.filter(done_at__isnull=False).exists()


def test_the_staff_who_recorded_the_handling_cannot_call_back(world):
    req = lc.request_dispatch(
        actor=as_actor(world.users.secretary, now=at("2026-11-23", "09:10")),
        req=submit(world),
        kind="staff",
        user=world.users.secretary,
    )
    req = lc.request_handle(actor=as_actor(world.users.staff, now=at("2026-11-23", "10:00")), req=req, result="已修好")
    for actor in (world.users.staff, world.users.secretary):  # recorded it; it is assigned to her
        with pytest.raises(PermissionDenied):
            lc.request_callback(actor=as_actor(actor, now=LATER), req=req, answered=True, resolved=True)
    for outsider in (world.users.outsider, world.users.resident, world.users.branch, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            lc.request_callback(actor=as_actor(outsider, now=LATER), req=req, answered=True, resolved=True)
    done = lc.request_callback(
        actor=as_actor(world.users.admin, now=LATER), req=req, answered=True, resolved=True, score=4, note="满意"
    )
    assert done.state == S.VISITED


def test_a_callback_not_answered_leaves_it_handled(world):
    req = reach(world, S.HANDLED)
    done = lc.request_callback(actor=as_actor(world.users.admin, now=LATER), req=req, answered=False, note="无人接听")
    assert (done.state, done.outcome, done.outcome_at) == (S.HANDLED, "", None)
    callback = Callback.objects.get(request=req)
    assert (
        callback.answered,
        callback.resolved,
        callback.caller,
        callback.done_at,
        callback.note,
        callback.attempts,
        callback.given_up_at,
    ) == (False, None, world.users.admin, LATER, "无人接听", 1, None)
    step = done.steps.order_by("-id").first()
    assert (step.action, step.old_state, step.new_state) == ("callback", S.HANDLED, S.HANDLED)
    assert events_of(req)[-1].action == EventAction.UPDATED
    assert not Rating.objects.exists()
    # A try on the next day reaches them: the same callback row records it.
    later = LATER + dt.timedelta(hours=20)
    done = lc.request_callback(
        actor=as_actor(world.users.admin, now=later), req=done, answered=True, resolved=False, score=2
    )
    assert (done.state, done.outcome, done.outcome_source, done.outcome_at) == (
        S.VISITED,
        Outcome.UNRESOLVED,
        OutcomeSource.CALLBACK,
        later,
    )
    callback = Callback.objects.get(request=req)
    assert (callback.answered, callback.resolved, callback.caller, callback.attempts) == (
        True,
        False,
        world.users.admin,
        1,
    )
    assert Rating.objects.get(request=req).source == OutcomeSource.CALLBACK


def test_an_answered_callback_records_the_outcome(world):
    req = reach(world, S.HANDLED)
    with pytest.raises(ValidationError) as err:
        lc.request_callback(actor=as_actor(world.users.admin, now=LATER), req=req, answered=True)
    assert set(err.value.message_dict) == {"resolved"}
    done = lc.request_callback(
        actor=as_actor(world.users.admin, now=LATER), req=req, answered=True, resolved=True, score=5
    )
    assert (done.state, done.outcome, done.outcome_source) == (S.VISITED, Outcome.RESOLVED, OutcomeSource.CALLBACK)
    assert Rating.objects.get(request=req).score == 5
    assert Callback.objects.get(request=req).resolved is True


# --- escalation and transfer --------------------------------------------------------------------


def test_an_escalated_request_is_dispatched_by_the_street(world):
    req = reach(world, S.ESCALATED)
    assert req.level == "street"
    for community_user in (world.users.staff, world.users.secretary):
        with pytest.raises(PermissionDenied):
            lc.request_dispatch(actor=as_actor(community_user, now=LATER), req=req, kind="grid", grid=world.grid_a1)
    assert lc.covers_street(as_actor(world.users.admin), req) and not lc.covers_street(
        as_actor(world.users.secretary), req
    )
    done = lc.request_dispatch(
        actor=as_actor(world.users.admin, now=LATER), req=req, kind="branch", organization=world.branch_a1
    )
    assert (done.state, done.assignee_kind, done.assignee_organization) == (S.DISPATCHED, "branch", world.branch_a1)


def test_transfer_to_another_community_starts_it_again_there(world):
    req = advance(world, submit(world), "dispatch", "return")
    assert req.state == S.RETURNED and req.assignee_user is None
    done = lc.request_transfer(
        actor=as_actor(world.users.staff, now=LATER), req=req, region=world.grid_b1, note="地址在钢花村"
    )
    assert (done.state, done.region, done.community) == (S.SUBMITTED, world.grid_b1, world.community_b)
    assert (
        done.assignee_kind,
        done.assignee_user,
        done.assignee_person,
        done.assignee_organization,
        done.assignee_region,
    ) == ("", None, None, None, None)
    assert (done.response_due_at, done.resolution_due_at) == (RESPONSE_DUE, RESOLUTION_DUE)  # the clock runs on
    assert req.pk not in visible(world.users.staff) and req.pk not in visible(world.users.secretary)
    assert req.pk in visible(world.users.outsider) and req.pk in visible(world.users.resident)
    with pytest.raises(PermissionDenied):
        lc.request_accept(actor=as_actor(world.users.staff, now=LATER), req=done)
    assert lc.request_accept(actor=as_actor(world.users.outsider, now=LATER), req=done).state == S.ACCEPTED


@pytest.mark.parametrize("region", ["community_a", "grid_a1", "grid_a2", "street"])
def test_transfer_needs_another_community(world, region):
    req = reach(world, S.ACCEPTED)
    before = counts()
    with pytest.raises(ValidationError) as err:
        lc.request_transfer(
            actor=as_actor(world.users.staff, now=LATER), req=req, region=getattr(world, region), note="转"
        )
    assert set(err.value.message_dict) == {"region"}
    assert counts() == before


def test_dispatch_to_a_grid_of_the_community_moves_the_request_there(world):
    req = lc.request_dispatch(
        actor=as_actor(world.users.staff, now=LATER), req=submit(world), kind="grid", grid=world.grid_a2
    )
    assert (req.assignee_kind, req.assignee_region, req.region) == ("grid", world.grid_a2, world.grid_a2)


@pytest.mark.parametrize(
    ("kind", "extra"),
    [("staff", {}), ("volunteer", {}), ("branch", {}), ("grid", {}), ("grid", {"grid": "community_a"}), ("nobody", {})],
)
def test_dispatch_needs_an_assignee_of_its_kind(world, kind, extra):
    req = submit(world)
    with pytest.raises(ValidationError) as err:
        lc.request_dispatch(
            actor=as_actor(world.users.staff, now=LATER),
            req=req,
            kind=kind,
            **{k: getattr(world, v) for k, v in extra.items()},
        )
    assert set(err.value.message_dict) == {"assignee"}
    assert fresh(req).state == S.SUBMITTED


def test_dispatch_to_a_member_without_an_account_is_refused(world):
    with pytest.raises(ValidationError) as err:
        lc.request_dispatch(
            actor=as_actor(world.users.staff, now=LATER), req=submit(world), kind="volunteer", person=world.li
        )
    assert set(err.value.message_dict) == {"assignee"}


@pytest.mark.parametrize("case", ["grid_b1", "branch_b1", "resident_as_staff", "non_member_volunteer"])
def test_dispatch_only_to_assignees_that_belong_to_the_request(world, case):
    req = submit(world)
    kwargs = {
        "grid_b1": {"kind": "grid", "grid": world.grid_b1},
        "branch_b1": {"kind": "branch", "organization": world.branch_b1},
        "resident_as_staff": {"kind": "staff", "user": world.users.resident},
        "non_member_volunteer": {"kind": "volunteer", "person": world.qian},
    }[case]
    with pytest.raises((ValidationError, PermissionDenied)):
        lc.request_dispatch(actor=as_actor(world.users.staff, now=LATER), req=req, **kwargs)


# --- merge, withdraw, reopen --------------------------------------------------------------------


def test_a_duplicate_is_merged_into_its_original(world):
    original = submit(world)
    copy = reach(world, S.IN_PROGRESS)
    done = lc.request_merge(actor=as_actor(world.users.staff, now=LATER), req=copy, original=original, note="重复反映")
    assert (done.state, done.close_reason, done.duplicate_of, done.closed_at) == (
        S.CLOSED,
        CloseReason.DUPLICATE,
        original,
        LATER,
    )
    assert done.steps.order_by("-id").first().note == f"{original.number}: 重复反映"
    # Merging into the duplicate points to the original.
    third = submit(world)
    assert (
        lc.request_merge(
            actor=as_actor(world.users.staff, now=LATER), req=third, original=done, note="重复反映"
        ).duplicate_of
        == original
    )


@pytest.mark.parametrize("case", ["none", "itself", "invisible"])
def test_merge_needs_another_request_one_can_see(world, case):
    req = submit(world)
    wangs = submit(world, actor=as_actor(world.users.outsider), channel="desk", requester=world.wang)
    original = {"none": None, "itself": req, "invisible": wangs}[case]
    with pytest.raises(ValidationError) as err:
        lc.request_merge(actor=as_actor(world.users.staff, now=LATER), req=req, original=original, note="重复反映")
    assert set(err.value.message_dict) == {"original"}
    assert fresh(req).state == S.SUBMITTED


def test_merge_points_to_the_root_of_a_chain(world):
    root, middle, older_duplicate, newest = (submit(world, description=f"第{i}条") for i in range(4))
    lc.request_merge(
        actor=as_actor(world.users.staff, now=LATER), req=older_duplicate, original=middle, note="重复反映"
    )
    lc.request_merge(actor=as_actor(world.users.staff, now=LATER), req=middle, original=root, note="重复反映")
    done = lc.request_merge(
        actor=as_actor(world.users.staff, now=LATER), req=newest, original=fresh(older_duplicate), note="重复反映"
    )
    assert done.duplicate_of == root


def test_a_request_is_never_a_duplicate_of_itself(world):
    a, b = submit(world, description="甲的灯"), submit(world, description="乙的灯")
    lc.request_merge(actor=as_actor(world.users.staff, now=LATER), req=a, original=b, note="重复反映")
    with pytest.raises(ValidationError):
        lc.request_merge(actor=as_actor(world.users.staff, now=LATER), req=b, original=fresh(a), note="重复反映")
    assert fresh(b).duplicate_of_id != b.pk


def test_the_requester_withdraws_even_while_on_hold(world):
    req = reach(world, S.SUSPENDED)
    assert req.paused_since is not None
    done = lc.request_withdraw(actor=as_actor(world.users.resident, now=LATER), req=req, note="已经自己修好了")
    assert (done.state, done.close_reason, done.closed_at, done.paused_since) == (
        S.CLOSED,
        CloseReason.WITHDRAWN,
        LATER,
        None,
    )


def test_reopen_within_thirty_days_creates_a_linked_request(world):
    original = submit(
        world,
        actor=as_actor(AnonymousUser()),
        region=world.grid_a1,
        phone=PHONE,
        contact_name="周先生",
        address="8街坊3号",
    )
    original = advance(world, original, "dispatch", "start", "handle")
    original = lc.request_confirm(
        actor=as_actor(AnonymousUser(), now=LATER), req=original, resolved=True, token=original.token
    )
    original = lc.request_close(actor=as_actor(world.users.staff, now=LATER), req=original)
    moment = LATER + dt.timedelta(days=30)
    assert lc.reopen_allowed(original, moment)
    new = lc.request_reopen(
        actor=as_actor(AnonymousUser(), now=moment), req=original, note="灯又坏了", token=original.token
    )
    assert new.pk != original.pk and new.reopened_from == original
    assert (new.state, new.submitted_at, new.category, new.region, new.community, new.channel) == (
        S.SUBMITTED,
        moment,
        original.category,
        original.region,
        original.community,
        original.channel,
    )
    assert (new.requester, new.contact_name, new.phone_hash, new.phone_masked, new.address) == (
        None,
        "周先生",
        original.phone_hash,
        "138****5678",
        "8街坊3号",
    )
    assert crypto.decrypt(new.phone_encrypted) == PHONE
    assert new.token != original.token and new.description.startswith("灯又坏了")
    assert new.response_due_at > moment
    step = original.steps.order_by("-id").first()
    assert (step.action, step.old_state, step.new_state, step.note) == (
        "reopen",
        S.CLOSED,
        S.CLOSED,
        f"{new.number}: 灯又坏了",
    )
    assert fresh(original).state == S.CLOSED
    assert new.steps.get().action == "submit"
    assert events_of(new)[0].action == EventAction.CREATED


def test_staff_reopen_for_the_requester_and_keep_her_as_requester(world):
    original = reach(world, S.VISITED)
    new = lc.request_reopen(actor=as_actor(world.users.staff, now=LATER), req=original, note="居民来电说又坏了")
    assert (new.requester, new.submitted_by, new.reopened_from) == (world.qian, world.users.staff, original)
    assert new.pk in visible(world.users.resident)
    with pytest.raises(PermissionDenied):
        lc.request_reopen(actor=as_actor(world.users.outsider, now=LATER), req=original, note="外人")
    with pytest.raises(PermissionDenied):
        lc.request_reopen(actor=as_actor(world.users.member, now=LATER), req=original, note="志愿者")


def test_reopen_after_thirty_days_is_refused(world):
    original = advance(world, reach(world, S.VISITED), "close", start=LATER)
    closed_at = original.closed_at
    before = counts()
    with pytest.raises(ValidationError) as err:
        lc.request_reopen(
            actor=as_actor(world.users.resident, now=closed_at + dt.timedelta(days=31)), req=original, note="又坏了"
        )
    assert err.value.code == "state"
    assert counts() == before
    assert not lc.reopen_allowed(original, closed_at + dt.timedelta(days=30, seconds=1))


@pytest.mark.parametrize("state", [S.SUBMITTED, S.IN_PROGRESS, S.HANDLED])
def test_only_a_finished_request_is_reopened(world, state):
    req = reach(world, state)
    with pytest.raises(ValidationError) as err:
        lc.request_reopen(actor=as_actor(world.users.resident, now=LATER), req=req, note="再开")
    assert err.value.code == "state"


def test_a_merged_duplicate_cannot_be_reopened(world):
    original = submit(world)
    copy = lc.request_merge(
        actor=as_actor(world.users.staff, now=LATER), req=submit(world), original=original, note="重复反映"
    )
    assert not lc.reopen_allowed(copy, LATER)
    with pytest.raises(ValidationError) as err:
        lc.request_reopen(actor=as_actor(world.users.resident, now=LATER), req=copy, note="再开")
    assert err.value.code == "state"


# --- classification and sign-off ----------------------------------------------------------------


def test_classification_needs_a_valid_kind_and_grounds(world):
    req = reach(world, S.ACCEPTED)
    with pytest.raises(ValidationError) as err:
        lc.request_classify(actor=as_actor(world.users.staff, now=LATER), req=req, classification="silly", note="理由")
    assert set(err.value.message_dict) == {"classification"}
    with pytest.raises(PermissionDenied):
        lc.request_classify(
            actor=as_actor(world.users.outsider, now=LATER), req=req, classification="untrue", note="理由"
        )
    done = lc.request_classify(
        actor=as_actor(world.users.staff, now=LATER), req=req, classification="untrue", note="现场核实无此事"
    )
    assert (done.classification, done.classification_note, done.classified_by, done.excluded) == (
        "untrue",
        "现场核实无此事",
        world.users.staff,
        False,
    )
    assert done.state == S.ACCEPTED
    step = done.steps.order_by("-id").first()
    assert (step.action, step.is_public) == ("classify", False)
    withdrawn = lc.request_classify(actor=as_actor(world.users.staff, now=LATER), req=done, classification="", note="")
    assert (withdrawn.classification, withdrawn.classified_by) == ("", None)


def test_sign_off_by_a_second_person_with_the_export_right_closes_and_excludes(world):
    req = lc.request_classify(
        actor=as_actor(world.users.staff, now=LATER),
        req=reach(world, S.IN_PROGRESS),
        classification="not_our_remit",
        note="属区房管局",
    )
    with pytest.raises(PermissionDenied):  # community staff have no export right
        lc.request_sign_off(actor=as_actor(world.users.staff, now=LATER), req=req)
    with pytest.raises(PermissionDenied):
        lc.request_sign_off(actor=as_actor(world.users.outsider, now=LATER), req=req)
    done = lc.request_sign_off(actor=as_actor(world.users.secretary, now=LATER), req=req, note="同意")
    assert (done.state, done.close_reason, done.closed_at, done.signed_off_by, done.signed_off_at) == (
        S.CLOSED,
        CloseReason.CLASSIFIED,
        LATER,
        world.users.secretary,
        LATER,
    )
    assert done.excluded
    step = done.steps.order_by("-id").first()
    assert (step.action, step.old_state, step.new_state) == ("sign_off", S.IN_PROGRESS, S.CLOSED)
    with pytest.raises(ValidationError) as err:
        lc.request_classify(actor=as_actor(world.users.admin, now=LATER), req=done, classification="untrue", note="改")
    assert err.value.code == "state"
    assert fresh(done).classification == "not_our_remit"
    with pytest.raises(ValidationError) as err:
        lc.request_sign_off(actor=as_actor(world.users.admin, now=LATER), req=done)
    assert err.value.code == "state"


def test_the_classifier_cannot_sign_off_their_own(world):
    req = lc.request_classify(
        actor=as_actor(world.users.secretary, now=LATER),
        req=reach(world, S.ACCEPTED),
        classification="unreasonable",
        note="要求物业免费装修",
    )
    with pytest.raises(ValidationError) as err:
        lc.request_sign_off(actor=as_actor(world.users.secretary, now=LATER), req=req)
    assert err.value.code == "self"
    assert not fresh(req).excluded
    assert lc.request_sign_off(actor=as_actor(world.users.admin, now=LATER), req=req).excluded


def test_sign_off_without_a_classification_is_refused_and_a_finished_request_stays_as_it_is(world):
    req = reach(world, S.HANDLED)
    with pytest.raises(ValidationError) as err:
        lc.request_sign_off(actor=as_actor(world.users.secretary, now=LATER), req=req)
    assert err.value.code == "state"
    req = lc.request_classify(
        actor=as_actor(world.users.staff, now=LATER), req=req, classification="untrue", note="不属实"
    )
    done = lc.request_sign_off(actor=as_actor(world.users.secretary, now=LATER), req=req)
    assert (done.state, done.close_reason, done.excluded) == (S.HANDLED, "", True)


def test_the_export_right_must_cover_the_request(world):
    from dangjian.accounts.services import grant_role

    both = make_user("staff_a_secretary_b", Role.COMMUNITY_STAFF, world.community_a)
    grant_role(actor=as_actor(None), user=both, role=Role.COMMUNITY_SECRETARY, node=world.community_b)
    req = lc.request_classify(
        actor=as_actor(world.users.staff, now=LATER),
        req=reach(world, S.ACCEPTED),
        classification="untrue",
        note="不属实",
    )
    with pytest.raises(PermissionDenied):
        lc.request_sign_off(actor=as_actor(both, now=LATER), req=req)


# --- the public board ---------------------------------------------------------------------------


def test_only_the_requester_consents_and_only_staff_write_the_summary(world):
    req = reach(world, S.VISITED)
    with pytest.raises(PermissionDenied):
        lc.request_set_public(actor=as_actor(world.users.staff), req=req, consent=True)
    with pytest.raises(PermissionDenied):
        lc.request_set_public(actor=as_actor(world.users.resident), req=req, summary="我自己写的摘要")
    with pytest.raises(PermissionDenied):
        lc.request_set_public(actor=as_actor(world.users.outsider), req=req, summary="外人写的")
    assert not fresh(req).is_public and fresh(req).public_summary == ""
    events = len(events_of(req))
    lc.request_set_public(actor=as_actor(world.users.resident), req=req, consent=True)
    lc.request_set_public(actor=as_actor(world.users.staff), req=req, summary="  某小区楼道灯损坏，网格当天更换。  ")
    after = fresh(req)
    assert (after.is_public, after.public_summary) == (True, "某小区楼道灯损坏，网格当天更换。")
    new_events = events_of(req)[events:]
    assert [e.changes for e in new_events] == [
        {"is_public": [False, True]},
        {"public_summary": ["", "某小区楼道灯损坏，网格当天更换。"]},
    ]
    anonymous = reach(world, S.HANDLED, actor=as_actor(AnonymousUser()), region=world.grid_a1, phone=PHONE)
    anonymous = lc.request_confirm(
        actor=as_actor(AnonymousUser(), now=LATER), req=anonymous, resolved=True, token=anonymous.token
    )
    with pytest.raises(PermissionDenied):
        lc.request_set_public(actor=as_actor(AnonymousUser()), req=anonymous, consent=True, token="wrong")
    assert lc.request_set_public(
        actor=as_actor(AnonymousUser()), req=anonymous, consent=True, token=anonymous.token
    ).is_public


# --- optimistic locking -------------------------------------------------------------------------


def test_a_stale_version_is_refused(world):
    req = submit(world)
    seen = req.version
    lc.request_accept(
        actor=as_actor(world.users.secretary, now=at("2026-11-23", "09:10")), req=req, expected_version=seen
    )
    with pytest.raises(ValidationError) as err:
        lc.request_dispatch(
            actor=as_actor(world.users.staff, now=at("2026-11-23", "09:20")),
            req=req,
            kind="grid",
            grid=world.grid_a1,
            expected_version=seen,
        )
    assert err.value.code == "stale"
    current = fresh(req)
    assert (current.state, current.version, current.assignee_kind) == (S.ACCEPTED, seen + 1, "")
    done = lc.request_dispatch(
        actor=as_actor(world.users.staff, now=at("2026-11-23", "09:30")),
        req=req,
        kind="grid",
        grid=world.grid_a1,
        expected_version=current.version,
    )
    assert (done.state, done.version) == (S.DISPATCHED, seen + 2)


def test_every_transition_raises_the_version_by_one(world):
    req = submit(world)
    versions = [req.version]
    for action in ("accept", "dispatch", "start", "suspend", "resume", "handle", "confirm", "close"):
        req = do(world, req, action, LATER)
        versions.append(req.version)
        assert fresh(req).version == req.version
    assert versions == list(range(1, 10))


# --- who sees what (access.py) ------------------------------------------------------------------


def test_who_sees_which_request(world):
    u = world.users
    qians = submit(world)
    zhangs = submit(world, actor=as_actor(u.staff), channel="desk", requester=world.zhang)
    wangs = submit(world, actor=as_actor(u.outsider), channel="desk", requester=world.wang)
    everything = {qians.pk, zhangs.pk, wangs.pk}
    expected = {
        "admin": everything,
        "secretary": {qians.pk, zhangs.pk},
        "staff": {qians.pk, zhangs.pk},
        "outsider": {wangs.pk},
        "resident": {qians.pk},
        "member": set(),
        "branch": set(),
        "liaison": set(),
    }
    assert {name: visible(getattr(u, name)) for name in expected} == expected
    assert visible(AnonymousUser()) == set()
    # Dispatched to 赵六 as a volunteer: he sees it (and its steps), until it is taken back.
    do(world, zhangs, "dispatch", LATER)
    assert visible(u.member) == {zhangs.pk}
    assert set(restrict(RequestStep.objects.all(), as_actor(u.member)).values_list("request_id", flat=True)) == {
        zhangs.pk
    }
    lc.request_return(actor=as_actor(u.member, now=LATER), req=fresh(zhangs), note="派错了")
    assert visible(u.member) == set()
    # Dispatched to branch A1: its secretary sees it; branch A2 would not have.
    lc.request_dispatch(actor=as_actor(u.staff, now=LATER), req=qians, kind="branch", organization=world.branch_a1)
    assert visible(u.branch) == {qians.pk}
    assert visible(u.resident) == {qians.pk}  # still hers
    lc.request_dispatch(
        actor=as_actor(u.staff, now=LATER), req=fresh(qians), kind="branch", organization=world.branch_a2
    )
    assert visible(u.branch) == set()


def test_a_branch_it_is_dispatched_to_may_work_on_it(world):
    req = lc.request_dispatch(
        actor=as_actor(world.users.staff, now=LATER), req=submit(world), kind="branch", organization=world.branch_a1
    )
    req = lc.request_start(actor=as_actor(world.users.branch, now=LATER), req=req)
    assert (
        lc.request_handle(actor=as_actor(world.users.branch, now=LATER), req=req, result="支部党员已上门").state
        == S.HANDLED
    )


def test_ratings_are_hidden_from_the_handler(world):
    u = world.users
    req = do(world, reach(world, S.HANDLED), "confirm", LATER)  # handled by the volunteer 赵六, rated 5
    rating = Rating.objects.get(request=req)
    assert req.pk in visible(u.member)  # he sees the request he handled…
    assert rating.pk not in visible(u.member, Rating)  # …but not how it was rated
    assert rating.pk in visible(u.resident, Rating)
    assert rating.pk in visible(u.staff, Rating) and rating.pk in visible(u.admin, Rating)
    assert rating.pk not in visible(u.outsider, Rating)
    # A branch handler does not see it either; a staff handler does, through the region grant.
    by_branch = lc.request_dispatch(
        actor=as_actor(u.staff, now=LATER), req=submit(world), kind="branch", organization=world.branch_a1
    )
    by_branch = lc.request_handle(actor=as_actor(u.branch, now=LATER), req=by_branch, result="已办")
    lc.request_confirm(actor=as_actor(u.resident, now=LATER), req=by_branch, resolved=True, score=3)
    assert visible(u.branch) >= {by_branch.pk}
    assert visible(u.branch, Rating) == set()


def test_a_staff_member_sees_her_own_request_wherever_it_sits(world):
    zhang_user = make_user("staff_zhang", Role.COMMUNITY_STAFF, world.community_a, person=world.zhang)
    req = submit(world, actor=as_actor(zhang_user), requester=world.zhang)
    assert req.pk in visible(zhang_user)
    req = lc.request_transfer(
        actor=as_actor(world.users.staff, now=LATER), req=req, region=world.grid_b1, note="属钢花村"
    )
    assert lc.is_requester(as_actor(zhang_user), req)  # she may still confirm or withdraw it…
    assert req.pk in visible(zhang_user)  # …and so must see it


def test_an_unsampled_request_is_not_called_back(world, monkeypatch):
    monkeypatch.undo()  # the real request_callback, without the sampling of the fixture
    req = reach(world, S.HANDLED)
    assert not lc.may(as_actor(world.users.admin), req, "callback")
    with pytest.raises(PermissionDenied):
        lc.request_callback(actor=as_actor(world.users.admin, now=LATER), req=req, answered=True, resolved=True)
    assert lc.callbacks_sample(rate=1.0, actor=as_actor(now=LATER)) == 1
    assert lc.may(as_actor(world.users.admin), req, "callback")
    done = lc.request_callback(actor=as_actor(world.users.admin, now=LATER), req=req, answered=True, resolved=True)
    assert done.state == S.VISITED
