"""Playwright driving Debian's Chromium against the live test server.

In CI (CI=true) a missing browser is a failure; on a developer machine without Chromium these
tests are skipped with the command that installs it.
"""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = os.environ.get("BROWSER_ARTIFACTS", "test-artifacts")


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM}: apt-get install -y chromium fonts-noto-cjk"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page_for(browser, live_server, request):
    """page_for(user, mobile=False) → a logged-in page (through the real login form)."""
    contexts = []

    def make(user=None, *, mobile: bool = False, password: str = "Test-pass-2026"):
        viewport = {"width": 390, "height": 844} if mobile else {"width": 1280, "height": 900}
        context = browser.new_context(viewport=viewport, locale="zh-CN", base_url=live_server.url)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        if user is not None:
            page.goto("/accounts/login/")
            page.fill("#id_username", user.username)
            page.fill("#id_password", password)
            page.click("main button[type=submit]")
            page.wait_for_url(f"{live_server.url}/")
        return page

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for index, context in enumerate(contexts):
        if failed:
            os.makedirs(ARTIFACTS, exist_ok=True)
            for number, page in enumerate(context.pages):
                page.screenshot(path=f"{ARTIFACTS}/{request.node.name}-{index}-{number}.png", full_page=True)
        context.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
