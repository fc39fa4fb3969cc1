"""The English UI shows the shipped vocabulary (services, tags, skills) in English; names a
locality typed stay as typed; the workbench's cached figures and to-dos are per language."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from dangjian.core.vocabulary import ENGLISH
from dangjian.people.models import Tag, TagKind
from dangjian.servicedesk.catalogue.defaults import DEFAULT_CATEGORIES
from dangjian.servicedesk.models import ServiceCategory

pytestmark = pytest.mark.django_db


def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_every_shipped_service_and_skill_has_an_english_name():
    names = {name for _code, _family, name, *_rest in DEFAULT_CATEGORIES}
    skills = {skill for *_rest, skills in DEFAULT_CATEGORIES for skill in skills}
    from dangjian.demo.seeds.people import INTEREST_TAGS, PERSON_TAGS, SKILL_TAGS

    missing = (names | skills | set(PERSON_TAGS) | set(SKILL_TAGS) | set(INTEREST_TAGS)) - set(ENGLISH)
    assert missing == set()


def test_the_services_page_speaks_the_readers_language(client):
    html = client.get(reverse("portal:services")).content.decode()
    assert "卫生保洁" in html and "Sanitation" not in html
    html = _english(client).get(reverse("portal:services")).content.decode()
    assert "Sanitation" in html and "卫生保洁" not in html


def test_a_name_the_locality_typed_stays_as_typed(world, client):
    ServiceCategory.objects.filter(code="sanitation").update(name="楼道保洁")
    html = _english(client).get(reverse("portal:services")).content.decode()
    assert "楼道保洁" in html


def test_tags_and_the_cached_workbench_follow_the_language(world, client):
    cache.clear()
    lonely = Tag.objects.get(kind=TagKind.PERSON, name=world.lonely.name)
    client.force_login(world.users.secretary)
    assert lonely.name in client.get(reverse("dashboard:workbench")).content.decode()  # cached in Chinese
    html = _english(client).get(reverse("dashboard:workbench")).content.decode()
    figures = html.split('class="figures"')[1].split("</div>")[0]
    assert ENGLISH.get(lonely.name, lonely.name) in figures
    if lonely.name in ENGLISH:
        assert lonely.name not in figures
