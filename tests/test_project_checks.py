"""Project-wide checks: migrations complete, translations complete and compiled, no CDN."""

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


@pytest.mark.django_db
def test_no_missing_migrations():
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:  # makemigrations --check exits 1 when a migration is missing
        pytest.fail(f"missing migrations:\n{out.getvalue()} ({exc})")


def _entries(text: str):
    for block in text.split("\n\n"):
        msgid = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        if not msgid or msgid.group(1).strip() == '""':
            continue  # the header
        strs = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', block, re.M)
        yield block, msgid.group(1), strs


def test_every_string_has_a_chinese_translation():
    text = PO.read_text(encoding="utf-8")
    untranslated = [m for block, m, strs in _entries(text) if not strs or any(s.strip() == '""' for s in strs)]
    fuzzy = [m for block, m, _strs in _entries(text) if "#, fuzzy" in block]
    assert not untranslated, f"untranslated: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:10]}"


def test_compiled_catalogue_matches_the_po_file():
    """The .mo committed for `make run` (which needs no gettext) holds every .po entry."""
    from django.utils import translation

    with translation.override("zh-hans"):
        assert translation.gettext("Workbench") == "工作台"
        assert translation.gettext("Sign in") == "登录"
    text = PO.read_text(encoding="utf-8")
    import gettext

    catalogue = gettext.GNUTranslations((PO.with_suffix(".mo")).open("rb"))
    missing = []
    for _block, msgid, _strs in _entries(text):
        key = "".join(re.findall(r'"(.*)"', msgid)).encode().decode("unicode_escape").encode("latin-1").decode()
        if "msgid_plural" in _block:
            continue
        context = re.search(r'^msgctxt "(.*)"$', _block, re.MULTILINE)
        found = catalogue.pgettext(context.group(1), key) if context else catalogue.gettext(key)
        if found == key:
            missing.append(key)
    assert not missing, f".mo is older than .po; run `make compilemessages`: {missing[:5]}"


def test_templates_load_nothing_from_other_hosts():
    offenders = []
    for path in (ROOT / "dangjian").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if re.search(r'(src|href)="(https?:)?//', text):
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"external resources in {offenders}"


def test_production_refuses_to_start_without_a_shared_cache(tmp_path):
    """Without REDIS_URL every worker process keeps its own rate limits and lockout counts."""
    import os
    import subprocess
    import sys

    from cryptography.fernet import Fernet

    base = {
        **os.environ,
        "DJANGO_ENV": "production",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "dangjian.example.org",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "SEARCH_HASH_KEY": "y" * 40,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    base.pop("REDIS_URL", None)
    base.pop("SINGLE_PROCESS", None)
    command = [sys.executable, "manage.py", "check", "--deploy"]
    refused = subprocess.run(command, env=base, capture_output=True, text=True, check=False)  # noqa: S603 (our manage.py)
    assert refused.returncode != 0 and "REDIS_URL must be set in production" in refused.stderr
    single = subprocess.run(command, env={**base, "SINGLE_PROCESS": "1"}, capture_output=True, text=True, check=False)  # noqa: S603
    assert "REDIS_URL must be set" not in single.stderr
