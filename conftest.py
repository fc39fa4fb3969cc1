"""Shared test fixtures: a small world of two communities with one user per role.

    district ─ street ─┬─ community A ─ grids A1, A2   (committee A ─ branch A1 ─ group, branch A2)
                       └─ community B ─ grid  B1       (committee B ─ branch B1)

Users with roles in community A are "in scope" for A's records and "out of scope" for B's;
``outsider`` is B's secretary. Everything is built through the same code paths as production
(tree builder, services) so that the tests exercise the real access layer.
"""

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls from that thread
# are still synchronous, so allow them (the live server runs in its own thread).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Tests clear the cache between tests; with Redis and parallel workers (pytest -n), give each
# worker a database of its own so that one worker's clear does not empty another's cache.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw") and os.environ.get("REDIS_URL"):
    _base = os.environ["REDIS_URL"].rsplit("/", 1)[0]
    os.environ["REDIS_URL"] = f"{_base}/{1 + int(_worker[2:]) % 15}"


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    from django.core.cache import cache

    cache.clear()  # cached workbench figures must not leak from one test's world into another


@pytest.fixture
def world(db):
    from tests.factories import build_world

    return build_world()
