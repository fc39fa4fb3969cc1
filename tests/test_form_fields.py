"""Every form of the site looks and speaks alike (issue #10): each text box, drop-down and text
area carries the site's ``input`` class, no drop-down offers Django's bare "---------", and a
required field left empty says which field it is."""

from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.utils import translation

from dangjian.accounts.models import User
from dangjian.membership.forms import CareVisitForm, MemberCreateForm, MemberStatusForm
from dangjian.people.forms import PersonForm
from dangjian.servicedesk.models import ServiceCategory
from tests.factories import as_actor, make_working_records

UNSTYLED_TYPES = {"checkbox", "radio", "file", "hidden", "submit", "button", "reset", "image"}


class Inputs(HTMLParser):
    """The form inputs of a page that do not carry the ``input`` class, and its drop-down options."""

    def __init__(self) -> None:
        super().__init__()
        self.unstyled: list[str] = []
        self.empty_options: list[str] = []  # the labels of options without a value
        self._in_empty_option = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "option" and found.get("value") == "":
            self._in_empty_option = True
            self.empty_options.append("")
        if tag not in ("input", "select", "textarea"):
            return
        if tag == "input" and (found.get("type") or "text") in UNSTYLED_TYPES:
            return
        if found.get("tabindex") == "-1" and found.get("name") == "website":
            return  # the resident form's trap for robots, hidden from people
        if "input" not in (found.get("class") or "").split():
            self.unstyled.append(f"<{tag} name={found.get('name')}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "option":
            self._in_empty_option = False

    def handle_data(self, data: str) -> None:
        if self._in_empty_option:
            self.empty_options[-1] += data


@pytest.fixture
def pages(world):
    """The form pages, by user, with the records their forms belong to."""
    made = make_working_records(world)
    member, transfer, candidate, request = made.member, made.transfer, made.candidate, made.request
    root = User.objects.create_superuser(username="root", password="Test-pass-2026")
    staff_pages = [
        "/members/",
        "/members/composition/",
        "/members/new/",
        f"/members/{member.pk}/",
        f"/members/{member.pk}/edit/",
        f"/members/{member.pk}/care/",
        f"/members/{member.pk}/dues/",
        f"/members/{member.pk}/transfer/",
        "/imports/",
        "/imports/members/",
        "/imports/residents/",
        "/imports/staff/",
        "/members/dues/",
        "/members/transfers/",
        "/members/transfers/incoming/",
        f"/members/transfers/{transfer.pk}/",
        "/members/development/",
        "/members/development/new/",
        f"/members/development/{candidate.pk}/",
        "/members/mobile/",
        "/members/appraisal/",
        "/people/",
        "/people/new/",
        f"/people/{world.zhang.pk}/",
        f"/people/{world.zhang.pk}/edit/",
        "/services/requests/",
        "/services/requests/new/",
        f"/services/requests/{request.pk}/",
        "/services/receptions/",
        "/accounts/security/",
    ]
    return [
        *((world.users.secretary, url) for url in staff_pages),
        (root, "/services/catalogue/new/"),  # the catalogue is configured district-wide
        (root, "/services/calendar/"),
        (root, "/accounts/settings/"),  # the configuration: the platform admin
        (world.users.admin, "/imports/trees/"),  # the trees: who may configure a street
        (world.users.member, "/members/reports/"),
        (world.users.resident, "/r/"),
        (None, "/r/"),
        (None, "/r/find/"),
        (None, "/accounts/login/"),
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_form_input_has_the_site_style_and_no_bare_dashes(client, pages, language):
    problems = []
    for user, url in pages:
        client.logout()
        if user is not None:
            client.force_login(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        assert response.headers["Content-Language"] == language
        html = response.content.decode()
        parsed = Inputs()
        parsed.feed(html)
        problems += [f"{url}: {tag} has no class input" for tag in parsed.unstyled]
        if "---------" in html:
            problems.append(f"{url}: an empty choice reads ---------")
        problems += [f"{url}: an empty choice reads {o!r}" for o in parsed.empty_options if not o.strip("-— ")]
    assert not problems, "\n".join(problems)


def test_an_empty_choice_is_a_prompt(world):
    with translation.override("zh-hans"):
        form = MemberCreateForm(actor=as_actor(world.users.secretary))
        assert str(form["organization"]).count("请选择…") == 1
        person = PersonForm(actor=as_actor(world.users.secretary))
        assert "请选择…" in str(person["education"]) and "—" not in str(person["education"])


def test_a_required_field_left_empty_names_itself(world):
    with translation.override("en"):
        form = PersonForm({}, actor=as_actor(world.users.secretary))
        assert not form.is_valid()
        assert form.errors["name"] == ["Enter full name."]
        assert form.errors["region"] == ["Choose grid."]
    with translation.override("zh-hans"):  # "请填写姓名" once the message is translated
        form = PersonForm({}, actor=as_actor(world.users.secretary))
        assert not form.is_valid()
        assert "姓名" in form.errors["name"][0] and "网格" in form.errors["region"][0]
        assert "这个字段是必填项" not in str(form.errors)


def test_required_messages_on_membership_forms(world):
    with translation.override("en"):
        status = MemberStatusForm({})
        assert not status.is_valid()
        assert status.errors["status"] == ["Choose new status."]
        assert status.errors["effective_on"] == ["Enter effective on."]
        assert status.errors["reason"] == ["Enter reason and decision."]
        visit = CareVisitForm({})
        assert not visit.is_valid()
        assert visit.errors["visitors"] == ["Enter visited by."]
        created = MemberCreateForm({}, actor=as_actor(world.users.secretary))
        assert not created.is_valid()
        # An abbreviation keeps its capitals.
        assert created.errors["id_number"] == ["Enter ID number."]
        assert created.errors["organization"] == ["Choose party organisation."]
        assert "This field is required." not in str(created.errors)


def test_an_id_too_large_for_the_database_is_an_invalid_choice(world):
    """SQLite raised OverflowError (a 500) for a record id beyond 2⁶³ in a form's choice of
    records; every SiteForm's record fields now refuse it as an invalid choice."""
    from dangjian.servicedesk.forms import CategoryForm, ResidentRequestForm

    huge = "9" * 25
    category = ServiceCategory.objects.get(code="sanitation")
    form = CategoryForm(
        data={
            "code": "new-one",
            "family": "units",
            "name": "新服务",
            "response_target": 4,
            "response_unit": "hours",
            "resolution_target": 3,
            "resolution_unit": "days",
            "default_level": "grid",
            "sort_order": 1,
            "skills": [huge],
        },
    )
    assert not form.is_valid() and "skills" in form.errors
    from dangjian.orgs.models import Region

    regions = Region.objects.filter(pk=world.community_a.pk)
    for value in (huge, "²", "-1"):
        form = ResidentRequestForm(
            data={"category": value, "description": "x", "region": world.community_a.pk, "phone": "13912345678"},
            regions=regions,
            anonymous=True,
        )
        assert not form.is_valid() and "category" in form.errors, value
    form = ResidentRequestForm(
        data={"category": category.pk, "description": "x", "region": huge, "phone": "13912345678"},
        regions=regions,
        anonymous=True,
    )
    assert not form.is_valid() and "region" in form.errors
