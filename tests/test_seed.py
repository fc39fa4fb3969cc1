"""seed_demo: deterministic for a seed, realistic, valid, and covering every role."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dangjian.accounts.models import User
from dangjian.accounts.roles import Role
from dangjian.core import crypto
from dangjian.core.validators import validate_id_number, validate_mobile
from dangjian.orgs.models import Organization, OrgKind, Region, RegionLevel
from dangjian.people.models import Member, MemberStage, Person
from tests.factories import as_actor

TODAY = dt.date(2026, 11, 28)


def _seed(seed: int = 7, scale: str = "tiny") -> str:
    out = io.StringIO()
    call_command("seed_demo", scale=scale, seed=seed, today=TODAY, stdout=out)
    return out.getvalue()


def _snapshot():
    people = list(Person.objects.order_by("id").values_list("name", "birth_date", "id_number_masked", "phone_masked"))
    regions = list(Region.objects.order_by("path").values_list("path", "name", "code", "level"))
    members = list(Member.objects.order_by("person_id").values_list("person__name", "organization__code", "stage"))
    return people, regions, members


@pytest.mark.django_db(transaction=True)
def test_same_seed_gives_the_same_data_and_another_seed_does_not():
    _seed(7)
    first = _snapshot()
    call_command("flush", interactive=False, verbosity=0)
    _seed(7)
    assert _snapshot() == first
    call_command("flush", interactive=False, verbosity=0)
    _seed(8)
    assert _snapshot()[0] != first[0]


@pytest.mark.django_db
def test_seeded_data_is_valid_and_realistic():
    output = _seed(3)
    assert "done" in output
    people = list(Person.objects.all())
    assert len(people) > 80
    for person in people:
        number = crypto.decrypt(person.id_number_encrypted)
        assert validate_id_number(number, today=TODAY) == number
        assert person.birth_date.strftime("%Y%m%d") == number[6:14]
        assert ("male" if int(number[16]) % 2 else "female") == person.gender
        if person.phone_encrypted:
            assert validate_mobile(crypto.decrypt(person.phone_encrypted))
        assert person.name_initials and person.name_pinyin
    assert Person.objects.values("id_number_hash").distinct().count() == len(people)
    for member in Member.objects.select_related("person"):
        assert member.joined_on >= member.person.birth_date.replace(year=member.person.birth_date.year + 18)
        assert (member.full_on is None) == (member.stage == MemberStage.PROBATIONARY)
    levels = set(Region.objects.values_list("level", flat=True))
    assert levels == {RegionLevel.DISTRICT, RegionLevel.STREET, RegionLevel.COMMUNITY, RegionLevel.GRID}
    kinds = set(Organization.objects.values_list("kind", flat=True))
    assert {OrgKind.WORKING_COMMITTEE, OrgKind.COMMITTEE, OrgKind.BRANCH, OrgKind.GROUP} <= kinds
    assert Organization.objects.filter(is_joint=True).exists()
    assert Organization.objects.filter(is_functional=True).exists()
    # one demo account per role, each linked to a person
    roles = set(User.objects.filter(person__isnull=False).values_list("grants__role", flat=True))
    assert roles == set(Role.values)


@pytest.mark.django_db
def test_seed_refuses_a_database_with_data_unless_asked_to_skip():
    _seed(1)
    with pytest.raises(CommandError):
        _seed(1)
    out = io.StringIO()
    call_command("seed_demo", scale="tiny", if_empty=True, stdout=out)
    assert "already" in out.getvalue()


@pytest.mark.django_db
def test_seeded_membership_is_consistent():
    """The membership seed at tiny scale: the workbench's arrears count (one SQL query) agrees
    with the arrears list (computed member by member); every member in good standing has one
    open placement; the development rules run on every candidate."""
    from dangjian.membership.development import selectors as development_selectors
    from dangjian.membership.dues.selectors import arrears, arrears_alert_count
    from dangjian.membership.models import Candidate, Placement

    _seed(11)
    admin = User.objects.get(username="street")
    alerts = []
    for day in (TODAY, dt.date(2026, 6, 15), dt.date(2026, 1, 3), dt.date(2027, 3, 1)):
        listed = sum(1 for row in arrears(actor=as_actor(admin, today=day)) if row.months >= 6)
        assert arrears_alert_count(actor=as_actor(admin, today=day)) == listed
        alerts.append(listed)
    assert max(alerts) > 0  # the comparison was not between two empty lists
    normal = Member.objects.filter(status="normal")
    assert Placement.objects.filter(member__in=normal, ended_on__isnull=True).count() == normal.count()
    board = development_selectors.pipeline(actor=as_actor(admin, today=TODAY), organization=None)
    assert board["total"] == Candidate.objects.filter(status="active").count() > 0


@pytest.mark.django_db
def test_seeded_requests_say_what_their_service_is_about():
    """A tester found 科普讲座 requests reading “想找一份离家近的工作”: every description fits its category."""
    from dangjian.demo.seeds.servicedesk import DESCRIPTIONS
    from dangjian.servicedesk.catalogue.defaults import DEFAULT_CATEGORIES
    from dangjian.servicedesk.models import ServiceRequest

    assert {code for code, *_rest in DEFAULT_CATEGORIES} <= set(DESCRIPTIONS)
    _seed(5)
    pairs = set(ServiceRequest.objects.values_list("category__code", "description"))
    assert len(pairs) > 10
    assert [(code, text) for code, text in pairs if text not in DESCRIPTIONS[code]] == []
