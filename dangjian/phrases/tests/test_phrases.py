"""Quick phrases (常用语): the list in force (nearest region, else built in), the worker's own
recent texts, the admins' edits, and the desk and handling pages that offer them."""

import pytest
from django.urls import reverse
from django.utils import translation

from dangjian.core.models import Event
from dangjian.phrases import selectors, services
from dangjian.phrases.models import PhraseList
from dangjian.phrases.registry import MAX_PHRASES, RECENT_SHOWN
from dangjian.servicedesk import phrases as desk_phrases
from dangjian.servicedesk.models import AssigneeKind, ServiceCategory
from dangjian.servicedesk.requests import lifecycle
from tests.factories import as_actor

pytestmark = pytest.mark.django_db


def _submit(world, description, code="sanitation", user=None):
    return lifecycle.request_submit(
        actor=as_actor(user or world.users.staff),
        channel="desk",
        category=ServiceCategory.objects.get(code=code),
        description=description,
        requester=world.zhang,
    )


def test_built_in_phrases_until_a_street_saves_its_own(world):
    staff = as_actor(world.users.staff)
    offer = selectors.phrases_for(actor=staff, key=desk_phrases.RESULT)
    assert offer.common == list(desk_phrases.RESULTS)
    services.phrase_list_save(
        actor=as_actor(world.users.admin),
        region=world.street,
        key=desk_phrases.RESULT,
        variant="",
        text="已解决\n\n 已解决 \n已回访",
    )
    assert selectors.phrases_for(actor=staff, key=desk_phrases.RESULT).common == ["已解决", "已回访"]
    # Community B lies in the same street: its workers are offered the street's list too.
    assert selectors.phrases_for(actor=staff, key=desk_phrases.RESULT, region=world.community_b).common == [
        "已解决",
        "已回访",
    ]
    event = Event.objects.filter(target_id=world.street.pk).latest("occurred_at")
    assert event.changes == {"phrases:servicedesk.result": [None, ["已解决", "已回访"]]}


def test_the_nearest_list_wins_and_an_empty_list_gives_back_the_one_above(world):
    district_admin = as_actor(world.users.admin)
    services.phrase_list_save(
        actor=as_actor(None), region=world.district, key=desk_phrases.RESULT, variant="", text="区里的"
    )
    services.phrase_list_save(
        actor=district_admin, region=world.street, key=desk_phrases.RESULT, variant="", text="街道的"
    )
    staff = as_actor(world.users.staff)
    assert selectors.phrases_for(actor=staff, key=desk_phrases.RESULT).common == ["街道的"]
    services.phrase_list_save(
        actor=district_admin, region=world.street, key=desk_phrases.RESULT, variant="", text="  \n"
    )
    assert selectors.phrases_for(actor=staff, key=desk_phrases.RESULT).common == ["区里的"]
    assert not PhraseList.objects.filter(region=world.street).exists()


def test_per_service_phrases_and_the_menu_of_the_desk(world):
    menu = selectors.phrase_menu(actor=as_actor(world.users.staff), key=desk_phrases.DESCRIPTION)
    assert menu["sanitation"]["common"] == list(desk_phrases.DESCRIPTIONS["sanitation"])
    assert set(menu) == set(ServiceCategory.objects.filter(is_active=True).values_list("code", flat=True))
    services.phrase_list_save(
        actor=as_actor(world.users.admin),
        region=world.street,
        key=desk_phrases.DESCRIPTION,
        variant="sanitation",
        text="垃圾",
    )
    menu = selectors.phrase_menu(actor=as_actor(world.users.staff), key=desk_phrases.DESCRIPTION)
    assert menu["sanitation"]["common"] == ["垃圾"]
    assert menu["legal-advice"]["common"] == list(desk_phrases.DESCRIPTIONS["legal-advice"])


def test_recent_texts_are_the_workers_own_phrases_never_a_case_s_account(world):
    for i in range(RECENT_SHOWN + 2):  # phrases the worker writes again and again
        _submit(world, f"楼道第{'一二三四五六七'[i]}层有垃圾")
        _submit(world, f"楼道第{'一二三四五六七'[i]}层有垃圾")
    _submit(world, "李桂芳家中漏水，低保户")  # written once: a case's own account, never offered again
    _submit(world, "张大爷13912345678家中漏水")  # a number, twice: never offered
    _submit(world, "张大爷13912345678家中漏水")
    _submit(world, "很长的一段描述" * 20)  # long
    _submit(world, "很长的一段描述" * 20)
    for _ in range(2):
        _submit(world, desk_phrases.DESCRIPTIONS["sanitation"][0])  # already common: not repeated
        _submit(world, "秘书记的", user=world.users.secretary)  # someone else's
    menu = selectors.phrase_menu(actor=as_actor(world.users.staff), key=desk_phrases.DESCRIPTION)
    recent = menu["sanitation"]["recent"]
    assert recent == [f"楼道第{'一二三四五六七'[i]}层有垃圾" for i in range(RECENT_SHOWN + 1, 1, -1)]
    assert menu["legal-advice"]["recent"] == []


def test_recent_results_come_from_what_the_worker_reported(world):
    staff = as_actor(world.users.staff)
    for result in ("已更换灯泡", "已更换灯泡", "王五家301室已修好"):
        req = _submit(world, "楼道灯坏了")
        req = lifecycle.request_dispatch(actor=staff, req=req, kind=AssigneeKind.STAFF, user=world.users.staff)
        req = lifecycle.request_start(actor=staff, req=req)
        lifecycle.request_handle(actor=staff, req=req, result=result)
    assert selectors.phrases_for(actor=staff, key=desk_phrases.RESULT).recent == ["已更换灯泡"]
    assert selectors.phrases_for(actor=as_actor(world.users.secretary), key=desk_phrases.RESULT).recent == []


def test_english_shows_the_built_in_phrases_in_english(world):
    with translation.override("en"):
        offer = selectors.phrases_for(actor=as_actor(world.users.staff), key=desk_phrases.RESULT)
    assert offer.common[0] == "Checked on the spot; the problem is solved"
    assert all(not any("\u4e00" <= ch <= "\u9fff" for ch in text) for text in offer.common)


def test_every_built_in_phrase_has_its_english():
    texts = [*desk_phrases.RESULTS, *(p for ps in desk_phrases.DESCRIPTIONS.values() for p in ps)]
    assert [t for t in texts if t not in desk_phrases.ENGLISH] == []


def test_limits_and_unknown_fields_are_refused_with_a_message(world):
    admin = as_actor(world.users.admin)
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(ValidationError) as too_many:
        services.phrase_list_save(
            actor=admin,
            region=world.street,
            key=desk_phrases.RESULT,
            variant="",
            text="\n".join(f"第{i}条" for i in range(MAX_PHRASES + 1)),
        )
    assert "text" in too_many.value.message_dict
    with pytest.raises(ValidationError):
        services.phrase_list_save(
            actor=admin, region=world.street, key=desk_phrases.RESULT, variant="", text="长" * 101
        )
    with pytest.raises(ValidationError):
        services.phrase_list_save(actor=admin, region=world.street, key="no.such", variant="", text="x")
    with pytest.raises(ValidationError):
        services.phrase_list_save(
            actor=admin, region=world.street, key=desk_phrases.DESCRIPTION, variant="nope", text="x"
        )
    with pytest.raises(ValidationError):  # 诉求内容 has a list per service, none of its own
        services.phrase_list_save(actor=admin, region=world.street, key=desk_phrases.DESCRIPTION, variant="", text="x")
    with pytest.raises(ValidationError):
        services.phrase_list_save(actor=admin, region=world.street, key=desk_phrases.RESULT, variant="x", text="x")
    with pytest.raises(PermissionDenied):
        services.phrase_list_save(actor=admin, region=world.district, key=desk_phrases.RESULT, variant="", text="x")
    assert not PhraseList.objects.exists()


def test_the_manage_page_keeps_what_was_typed_when_refused(world, client):
    client.force_login(world.users.admin)
    url = reverse("phrases:manage")
    response = client.post(
        url, {"region": world.street.pk, "key": desk_phrases.RESULT, "variant": "", "text": "好\n" + "长" * 101}
    )
    assert response.status_code == 200
    assert ("长" * 101) in response.content.decode()
    assert not PhraseList.objects.exists()
    response = client.post(
        url, {"region": world.street.pk, "key": desk_phrases.RESULT, "variant": "", "text": "已解决"}
    )
    assert response.status_code == 302 and f"region={world.street.pk}" in response["Location"]
    anchor = response["Location"].rpartition("#")[2]
    assert f'<details id="{anchor}" open>' in client.get(response["Location"]).content.decode()
    assert PhraseList.objects.get().phrases == ["已解决"]
    page = client.get(url).content.decode()
    assert "已解决" in page


def test_hostile_text_is_escaped_on_every_page_that_offers_it(world, client):
    services.phrase_list_save(
        actor=as_actor(world.users.admin),
        region=world.street,
        key=desk_phrases.RESULT,
        variant="",
        text='<img src=x onerror="alert(1)">',
    )
    staff = as_actor(world.users.staff)
    req = _submit(world, "<script>alert(2)</script>")
    req = lifecycle.request_dispatch(actor=staff, req=req, kind=AssigneeKind.STAFF, user=world.users.staff)
    lifecycle.request_start(actor=staff, req=req)
    client.force_login(world.users.staff)
    detail = client.get(reverse("servicedesk:request", args=[req.pk])).content.decode()
    assert "<img src=x" not in detail and "&lt;img src=x" in detail
    desk = client.get(reverse("servicedesk:desk")).content.decode()
    assert "<script>alert(2)" not in desk


@pytest.mark.parametrize(
    ("role", "shown"), [("admin", True), ("secretary", False), ("staff", False), ("branch", False)]
)
def test_the_menu_and_the_catalogue_link_the_phrases_for_their_admins_only(world, client, role, shown):
    client.force_login(getattr(world.users, role))
    url = reverse("phrases:manage")
    assert (f'href="{url}"' in client.get(reverse("dashboard:workbench")).content.decode()) is shown
    assert (f'href="{url}"' in client.get(reverse("servicedesk:catalogue")).content.decode()) is shown
    assert client.get(url).status_code == (200 if shown else 404)


def test_the_desk_offers_the_estates_of_the_worker_s_grids(world, client):
    from dangjian.people.models import Household

    for i in range(3):
        Household.objects.create(region=world.grid_a1, address=f"和平小区{i + 1}栋1单元101室")
    Household.objects.create(region=world.grid_a2, address="钢花新村2号楼3门")
    Household.objects.create(region=world.grid_b1, address="青山花园1栋")  # community B: not the worker's
    client.force_login(world.users.staff)
    offer = client.get(reverse("servicedesk:desk")).context["form"].fields["address"].phrases
    assert offer.common == ["和平小区", "钢花新村"] and offer.prefix


def test_the_built_in_list_sent_back_unchanged_is_not_made_the_region_s_own(world):
    """An admin who saves the built-in list as shown (in English, say) leaves it built in: the
    street's workers keep the Chinese phrases."""
    admin = as_actor(world.users.admin)
    with translation.override("en"):
        shown = "\n".join(selectors.phrases_for(actor=admin, key=desk_phrases.RESULT, region=world.street).common)
        assert (
            services.phrase_list_save(actor=admin, region=world.street, key=desk_phrases.RESULT, variant="", text=shown)
            is None
        )
    assert not PhraseList.objects.exists()
    assert (
        selectors.phrases_for(actor=as_actor(world.users.staff), key=desk_phrases.RESULT).common[0]
        == "已上门核实，问题已解决"
    )
