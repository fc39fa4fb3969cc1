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


def _settings_for_tests(settings) -> dict:
    """The settings every test runs with (and the shared world is built with)."""
    from dangjian.core.conf import override

    values = {
        "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
        # Admins must set up two-factor login before anything else (core/conf.py TWO_FACTOR_ROLES);
        # the tests sign admins in without it, except those of the requirement itself (accounts/tests).
        "DANGJIAN": override(TWO_FACTOR_ROLES=()),
        # The values set in the browser (core.Setting) are not read behind a test's back: each test
        # starts without any, and a change made in the test is seen at once (core/conf.py).
        "DANGJIAN_CONFIG_REFRESH_SECONDS": None,
    }
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    cache_settings = settings.CACHES["default"]
    if worker.startswith("gw") and cache_settings["BACKEND"].endswith("RedisCache"):
        # Tests clear the cache; with parallel workers (pytest -n) each gets its own Redis
        # database, so that one worker's clear does not empty another's cache mid-test.
        location = cache_settings["LOCATION"].rsplit("/", 1)[0] + f"/{1 + int(worker[2:]) % 15}"
        values["CACHES"] = {"default": {**cache_settings, "LOCATION": location}}
    return values


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    from dangjian.core.conf import browser_values_changed

    for name, value in _settings_for_tests(settings).items():
        setattr(settings, name, value)
    settings.MEDIA_ROOT = str(tmp_path / "media")
    browser_values_changed({})
    from django.core.cache import cache

    cache.clear()  # cached workbench figures must not leak from one test's world into another
    from dangjian.core.calendar import forget_overrides

    forget_overrides({})  # nor a test's corrections of the business calendar (none to start with)
    from django.utils import translation

    # Nor the language of an earlier test's last request (the locale middleware leaves the thread's
    # language as the request had it): each test starts in the site's own, zh-Hans.
    translation.activate(settings.LANGUAGE_CODE)


# The world is built once per test process and committed, right after the test database is set up;
# each test gets a deep copy of its objects (as Django's setUpTestData does) and its own changes are
# rolled back with the test's transaction. Building it for each of ~4,000 tests took a third of the
# suite's time. Tests see exactly what they saw when each built its own:
# - a test that does not ask for the world does not see it: its rows are deleted inside the test's
#   transaction (and come back with the rollback);
# - a test whose clock is pinned (clock marker), or that runs after midnight passed, gets a world
#   built afresh at its own today, the shared one deleted inside its transaction;
# - a transactional test (live server, row locks) ends by emptying the database, after which the
#   world is built and committed again before the next test (pytest_runtest_teardown below);
# - the world is built with the test settings (fast password hashes, no two-factor roles) and, when
#   the suite runs at a chosen instant, one second before it, so that its rows precede each test's
#   actions as they did when each test built it at its start.


class _SharedWorld:
    base = None  # what build_world returned, or None when there is no usable shared world
    in_db = False  # whether its rows are committed in the database
    rows: dict = {}  # model -> primary keys of the rows build_world created
    blocker = None  # pytest-django's database blocker (access is blocked outside tests)


def _table_keys() -> dict:
    from django.apps import apps

    return {
        model: set(model._base_manager.values_list("pk", flat=True))
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


def _delete_world():
    """Delete the shared world's rows: inside a test's transaction they come back with its rollback;
    outside one (a transactional test, or between tests) the deletion holds. Foreign keys are
    checked at commit, so the order of the tables does not matter (a plain DELETE, no cascade)."""
    from django.db import DEFAULT_DB_ALIAS, transaction

    with transaction.atomic():
        for model, keys in _SharedWorld.rows.items():
            model._base_manager.filter(pk__in=keys)._raw_delete(DEFAULT_DB_ALIAS)


def _commit_world():
    """Build the shared world and commit it, between tests (outside any test's transaction)."""
    import contextlib

    import time_machine
    from django.conf import settings
    from django.core.cache import cache
    from django.db import transaction
    from django.test import override_settings

    from tests.factories import build_world

    clock = (
        time_machine.travel(dt.datetime.fromisoformat(TEST_NOW) - dt.timedelta(seconds=1), tick=False)
        if TEST_NOW
        else contextlib.nullcontext()
    )
    with _SharedWorld.blocker.unblock():
        if _SharedWorld.in_db:
            _delete_world()
        before = _table_keys()
        with override_settings(**_settings_for_tests(settings)), clock, transaction.atomic():
            base = build_world()
            cache.clear()
        after = _table_keys()
    _SharedWorld.rows = {model: keys - before[model] for model, keys in after.items() if keys - before[model]}
    _SharedWorld.base, _SharedWorld.in_db = base, True


def _uses_db(request) -> bool:
    return request.node.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db", "live_server", "django_db_reset_sequences"} & set(request.fixturenames)
    )


def _is_transactional(request) -> bool:
    """As pytest-django decides: the test runs outside a transaction and ends by emptying the database."""
    marker = request.node.get_closest_marker("django_db")
    return bool(
        (marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")))
        or {"transactional_db", "live_server", "django_db_reset_sequences"} & set(request.fixturenames)
    )


def _world_is_current() -> bool:
    """Whether the world's today is the one each test starts in: the chosen instant's, or today."""
    from django.utils import timezone

    today = timezone.localdate(dt.datetime.fromisoformat(TEST_NOW)) if TEST_NOW else timezone.localdate()
    return _SharedWorld.base is not None and _SharedWorld.base.today == today


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    _SharedWorld.blocker = django_db_blocker
    _commit_world()
    yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After the test's fixtures are torn down (a transactional test's emptying the database among
    them), the world is built again if it is gone or its today has passed."""
    result = yield
    if _SharedWorld.blocker is not None and nextitem is not None and not (_SharedWorld.in_db and _world_is_current()):
        _commit_world()
    return result


@pytest.fixture(autouse=True)
def _world_only_for_who_asks(request):
    """A test that uses the database but not the world sees the database without it."""
    if _uses_db(request) and "world" not in request.fixturenames:
        request.getfixturevalue("_django_db_helper")  # the test's transaction first, if it has one
        if _SharedWorld.in_db:
            _delete_world()
            if _is_transactional(request):
                _SharedWorld.in_db = False
    yield


@pytest.fixture
def world(request, db):
    import copy

    from django.utils import timezone

    from tests.factories import build_world

    present = _SharedWorld.in_db
    if _is_transactional(request):
        _SharedWorld.in_db = False  # the test ends by emptying the database
    marker = request.node.get_closest_marker("clock")
    today = timezone.localdate()  # the test's (its clock may be pinned, or past midnight already)
    if present and _SharedWorld.base.today == today and (marker is None or marker.args[0] is None):
        return copy.deepcopy(_SharedWorld.base)
    if present:
        _delete_world()
    return build_world()
