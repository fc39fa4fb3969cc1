"""A link shown is a link allowed: every navigation entry and every button a role sees on its
main pages opens for that role (no 404, no 403). The branch secretary once saw 从Excel导入
(answering 404) and residents and liaisons saw 双报到, which is for party members."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

HREF = re.compile(r'<a [^>]*href="(/[^"#]*)"')
ROLES = ("admin", "secretary", "staff", "branch", "member", "resident", "liaison")
PAGES = ("dashboard:workbench", "membership:list", "people:list", "servicedesk:queue", "membership:reports")
SKIP = ("/accounts/logout", "/static/", "/media/")


def _nav(html: str) -> str:
    return html.split('class="sidenav"')[1].split("</nav>")[0]


def _buttons(html: str) -> list[str]:
    main = html.split('id="main"')[1] if 'id="main"' in html else ""
    return [m.group(1) for m in re.finditer(r'<a class="button[^"]*" href="(/[^"#]*)"', main)]


@pytest.mark.parametrize("role", ROLES)
def test_every_link_a_role_is_shown_opens_for_it(world, client, role):
    client.force_login(getattr(world.users, role))
    links: set[str] = set()
    for name in PAGES:
        response = client.get(reverse(name))
        if response.status_code != 200:
            continue  # a page this role is not offered; it must then not be linked (checked below)
        html = response.content.decode()
        links.update(HREF.findall(_nav(html)))
        links.update(_buttons(html))
    broken = []
    for url in sorted(links):
        if url.startswith(SKIP):
            continue
        status = client.get(url.replace("&amp;", "&")).status_code
        if status not in (200, 302):
            broken.append((url, status))
    assert broken == []


@pytest.mark.parametrize(("role", "shown"), [("member", True), ("resident", False), ("liaison", False)])
def test_community_reporting_is_offered_to_party_members_only(world, client, role, shown):
    client.force_login(getattr(world.users, role))
    nav = _nav(client.get(reverse("dashboard:workbench")).content.decode())
    assert (reverse("membership:reports") in nav) is shown
    assert client.get(reverse("membership:reports")).status_code == (200 if shown else 404)


def test_the_import_is_offered_only_to_who_may_import(world, client):
    client.force_login(world.users.branch)
    html = client.get(reverse("membership:list")).content.decode()
    assert reverse("imports:upload", args=["members"]) not in html
    client.force_login(world.users.secretary)
    html = client.get(reverse("membership:list")).content.decode()
    assert reverse("imports:upload", args=["members"]) in html
    assert client.get(reverse("imports:upload", args=["members"])).status_code == 200
