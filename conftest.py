"""Shared test fixtures: a small world of two communities with one user per role.

    district ─ street ─┬─ community A ─ grids A1, A2   (committee A ─ branch A1 ─ group, branch A2)
                       └─ community B ─ grid  B1       (committee B ─ branch B1)

Users with roles in community A are "in scope" for A's records and "out of scope" for B's;
``outsider`` is B's secretary. Everything is built through the same code paths as production
(tree builder, services) so that the tests exercise the real access layer.
"""

import datetime as dt
import os

import pytest

# The whole suite can run at a chosen instant: DANGJIAN_TEST_NOW=2028-02-29T23:59:59+08:00 make test.
# The clock is set there for the session (values computed at import) and again at the start of each
# test, and ticks on (time-machine), in this process and in the live server's thread; .ci/run uses
# it to run the suite on days and at hours that have broken tests before.
TEST_NOW = os.environ.get("DANGJIAN_TEST_NOW", "").strip()


def pytest_configure(config):
    if TEST_NOW:
        import time_machine

        instant = dt.datetime.fromisoformat(TEST_NOW)
        if instant.tzinfo is None:
            raise pytest.UsageError("DANGJIAN_TEST_NOW needs an offset, e.g. 2026-10-01T10:00:00+08:00")
        time_machine.travel(instant, tick=True).start()


def pytest_report_header(config):
    return f"clock: {TEST_NOW or 'the real time'}"


# Playwright's sync API runs an event loop in the test thread; Django's ORM calls from that thread
# are still synchronous, so allow them (the live server runs in its own thread).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _clock(request):
    """``@pytest.mark.clock("2026-11-28T10:00:00+08:00")`` sets the clock for a test (or, as
    ``pytestmark``, a module) whose story happens on given dates; it ticks on unless ``tick=False``.
    ``clock(None)`` exempts a test of such a module that derives its dates from today.
    Autouse, so it runs before ``world``, whose ``today`` is the code's today."""
    import time_machine

    marker = request.node.get_closest_marker("clock")
    if marker is not None and marker.args[0] is not None:
        with time_machine.travel(dt.datetime.fromisoformat(marker.args[0]), tick=marker.kwargs.get("tick", True)):
            yield
    elif TEST_NOW:
        # Each test starts at the chosen instant (the session's clock has ticked on while the
        # database was set up): at 23:59:59 every test crosses midnight as it runs.
        with time_machine.travel(dt.datetime.fromisoformat(TEST_NOW), tick=True):
            yield
    else:  # clock(None), or no marker: the real time
        yield


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # Admins must set up two-factor login before anything else (core/conf.py TWO_FACTOR_ROLES); the
    # tests sign admins in without it, except those of the requirement itself (accounts/tests).
    from dangjian.core.conf import browser_values_changed, override

    settings.DANGJIAN = override(TWO_FACTOR_ROLES=())
    # The values set in the browser (core.Setting) are not read behind a test's back: each test
    # starts without any, and a change made in the test is seen at once (core/conf.py).
    settings.DANGJIAN_CONFIG_REFRESH_SECONDS = None
    browser_values_changed({})
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    cache_settings = settings.CACHES["default"]
    if worker.startswith("gw") and cache_settings["BACKEND"].endswith("RedisCache"):
        # Tests clear the cache; with parallel workers (pytest -n) each gets its own Redis
        # database, so that one worker's clear does not empty another's cache mid-test.
        location = cache_settings["LOCATION"].rsplit("/", 1)[0] + f"/{1 + int(worker[2:]) % 15}"
        settings.CACHES = {"default": {**cache_settings, "LOCATION": location}}
    from django.core.cache import cache

    cache.clear()  # cached workbench figures must not leak from one test's world into another
    from dangjian.core.calendar import forget_overrides

    forget_overrides({})  # nor a test's corrections of the business calendar (none to start with)
    from django.utils import translation

    # Nor the language of an earlier test's last request (the locale middleware leaves the thread's
    # language as the request had it): each test starts in the site's own, zh-Hans.
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def world(db):
    from tests.factories import build_world

    return build_world()
