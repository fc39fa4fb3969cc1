"""Pages travel light: HTML compressed, an icon where browsers look for it, a description for
search engines and link previews, and the chart library cut down to the charts the site draws."""

import gzip
import re
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders

VENDOR = Path(settings.BASE_DIR) / "static" / "vendor"


def test_pages_are_compressed_for_browsers_that_accept_it(client):
    plain = client.get("/accounts/login/")
    packed = client.get("/accounts/login/", headers={"accept-encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain and packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    body = gzip.decompress(packed.content).decode()
    assert "<form" in body and len(packed.content) < len(plain.content) / 2
    # BREACH: Django's GZip writes random bytes as the gzip file name (FNAME flag, RFC 1952).
    assert packed.content[3] & 0x08


def test_downloads_are_not_compressed_again(world, client):
    """An .xlsx (a zip already) streams as it is, with its length, whatever the browser accepts."""
    from dangjian.core.jobs import job_succeeded
    from dangjian.core.models import Job

    job = Job.objects.create(kind="test", label="导出", created_by=world.users.secretary, total=1)
    job_succeeded(job, file_name="people.xlsx", content=b"PK" + b"\x00" * 4000, result={"rows": 1}, needs=[])
    client.force_login(world.users.secretary)
    response = client.get(f"/jobs/{job.pk}/download/", headers={"accept-encoding": "gzip"})
    assert response.status_code == 200 and "Content-Encoding" not in response
    assert b"".join(response.streaming_content) == b"PK" + b"\x00" * 4000


def test_the_favicon_is_where_browsers_look(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith("favicon.ico")
    assert "max-age=86400" in response["Cache-Control"]
    assert client.head("/favicon.ico").status_code == 302  # browsers and crawlers may ask with HEAD
    path = finders.find("favicon.ico")
    assert path and Path(path).read_bytes()[:4] == b"\x00\x00\x01\x00"  # an ICO file
    page = client.get("/accounts/login/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in page


def test_every_page_has_a_description(client, db):
    page = client.get("/r/").content.decode()
    match = re.search(r'<meta name="description" content="([^"]{20,})">', page)
    assert match and "社区" in match.group(1)


def test_the_chart_bundle_holds_what_the_site_draws_and_little_else():
    bundle = VENDOR / "echarts" / "echarts.min.js"
    assert bundle.stat().st_size < 600_000  # the full build is 1 MB
    assert (VENDOR / "echarts" / "echarts.min.js.map").exists()
    recipe = (Path(settings.BASE_DIR).parent / "frontend" / "echarts" / "entry.js").read_text(encoding="utf-8")
    registered = set(re.findall(r"\b(\w+)(?:Chart|Component)\b", recipe))
    # Every series type and option component that a page's script uses is in the bundle.
    sources = [*Path(settings.BASE_DIR).glob("static/js/*.js"), *Path(settings.BASE_DIR).glob("*/templates/**/*.html")]
    used = set()
    for source in sources:
        text = source.read_text(encoding="utf-8")
        if "echarts" not in text:
            continue
        used |= {kind.capitalize() for kind in re.findall(r'type: "(bar|line|scatter|pie|map|radar|heatmap)"', text)}
        used |= {"Grid"} if "grid:" in text else set()
        used |= {"Tooltip"} if "tooltip:" in text else set()
        used |= {"Legend"} if "legend:" in text else set()
        used |= {"MarkLine"} if "markLine" in text else set()
    assert used and used <= registered, used - registered


def test_nothing_with_personal_data_is_stored_by_caches(world, client):
    """Person pages, reveals and downloads say no-store (a shared computer at a service centre)."""
    from django.urls import reverse

    client.force_login(world.users.secretary)
    for response in (
        client.get(reverse("people:detail", args=[world.zhang.pk])),
        client.post(reverse("people:reveal", args=[world.zhang.pk, "phone"]), {"purpose": "contact"}),
        client.get("/r/"),
    ):
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert "max-age=86400" in client.get("/favicon.ico")["Cache-Control"]  # a view's own choice stands


def test_every_page_carries_the_content_security_policy(world, client):
    """No inline script may run: the policy allows scripts only from our files, and no template
    has an inline script or a handler attribute left (json_script data blocks are not scripts)."""
    import re
    from pathlib import Path

    from django.conf import settings

    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-eval" not in policy
    inline = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>|\son[a-z]+=\"", re.IGNORECASE)
    offenders = [
        str(path)
        for path in Path(settings.BASE_DIR).rglob("templates/**/*.html")
        if inline.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_visitors_get_chinese_unless_they_choose_english(client):
    """A browser asking for English still gets the service centre's Chinese; the header's
    language button (Django's language cookie) switches."""
    from django.conf import settings

    page = client.get("/r/find/", headers={"accept-language": "en-US,en;q=0.9"})
    assert page["Content-Language"] == "zh-hans" and '<html lang="zh-hans"' in page.content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/r/find/"})
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/r/find/", headers={"accept-language": "zh-CN"})
    assert page["Content-Language"] == "en" and '<html lang="en"' in page.content.decode()
