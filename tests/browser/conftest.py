"""Playwright driving Debian's Chromium against the live test server.

In CI (CI=true) a missing browser is a failure; on a developer machine without Chromium these
tests are skipped with the command that installs it.

Every page a browser test visits is audited with axe-core (vendored in ``vendor/axe-core``) for
WCAG 2.1 A and AA, with every ``<details>`` opened for the audit; the test fails on any violation.
The audit runs after every action that navigated (goto, a click that follows a link or submits a
form, …: the page's and locators' actions are wrapped for the test) once the new page has loaded;
a page loaded some other way (a script, an auto-submitting select) is audited at the start of the
next action; and the page the test ends on is audited too. A page showing the errors of a failed
submit is audited like any other. Opening the <details> for the audit may start their htmx loads;
what those bring is not audited.
"""

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = os.environ.get("BROWSER_ARTIFACTS", "test-artifacts")
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PAGE_ACTIONS = (
    "goto",
    "reload",
    "go_back",
    "go_forward",
    "click",
    "dblclick",
    "tap",
    "press",
    "check",
    "select_option",
)
LOCATOR_ACTIONS = ("click", "dblclick", "tap", "press", "check", "select_option")
AUDIT = """async (tags) => {
  if (!window.axe) return [{id: "axe-missing", help: "axe-core did not load", nodes: [location.href]}];
  while (window.__auditing) await window.__auditing;  // one run at a time (a load and a final audit)
  let done;
  window.__auditing = new Promise((resolve) => { done = resolve; });
  const closed = [...document.querySelectorAll("details:not([open])")];
  closed.forEach((d) => { d.open = true; });
  try {
    const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
    const found = result.violations.map((v) => ({
      id: v.id, help: v.help,
      nodes: v.nodes.slice(0, 6).map((n) => n.target.join(" ") + " :: " + n.failureSummary.replace(/\\s+/g, " ")),
    }));
    // axe leaves text in the colour of its background "to review" (it may be meant hidden);
    // here such text is visible and so a violation (a white button on a white card).
    const equal = result.incomplete.filter((v) => v.id === "color-contrast").flatMap((v) => v.nodes)
      .filter((n) => n.any.some((a) => a.data && a.data.messageKey === "equalRatio"));
    if (equal.length) {
      found.push({id: "color-contrast-equal", help: "Text in the colour of its background",
                  nodes: equal.slice(0, 6).map((n) => n.target.join(" "))});
    }
    return found;
  } finally {
    closed.forEach((d) => { d.open = false; });
    window.__auditing = null;
    done();
  }
}"""


def axe_violations(page) -> list[dict]:
    """WCAG 2.1 A/AA violations on the page as it is now (every <details> opened for the audit)."""
    return page.evaluate(AUDIT, WCAG_21_AA)


def describe(found: list[tuple[str, dict]]) -> str:
    lines = []
    for url, violation in found:
        lines.append(f"{url}: {violation['id']} — {violation['help']}")
        lines += [f"    {node}" for node in violation["nodes"]]
    return "\n".join(lines)


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
def page_for(browser, live_server, request, monkeypatch):
    """page_for(user, mobile=False) → a logged-in page (through the real login form). Each page is
    audited with axe-core once loaded: right after an action that navigated to it, or — when
    something else loaded it (a script, an auto-submitting select, the keyboard) — at the start of
    the next action, and at the end of the test."""
    contexts = []
    refused: list[str] = []  # what the browser refused under the Content-Security-Policy
    found: list[tuple[str, dict]] = []
    audited: list[str] = []
    seen: set[tuple[str, str]] = set()

    def audit(page) -> None:
        if page.is_closed():
            return
        url = page.url.removeprefix(live_server.url)
        if not url.startswith("/") or "/api/v1/" in url or "/open311/" in url or url.split("?")[0].endswith(".pdf"):
            return  # about:blank, JSON, a PDF in the browser's viewer and the like are not our pages
        violations = axe_violations(page)
        audited.append(url)
        for violation in violations:
            key = (url.split("?")[0], violation["id"])
            if key not in seen:
                seen.add(key)
                found.append((url, violation))

    navigations: dict[int, int] = {}
    unaudited: set[int] = set()  # pages whose last load has not been audited yet

    def counted(page):
        def on_navigated(frame):
            if frame == page.main_frame:
                navigations[id(page)] = navigations.get(id(page), 0) + 1

        return on_navigated

    def loaded(page):
        def on_load(_page):
            unaudited.add(id(page))  # only noted here: the audit runs in the test's own flow

        return on_load

    def audit_if_due(page) -> None:
        if id(page) in unaudited and not page.is_closed():
            unaudited.discard(id(page))
            audit(page)

    def auditing(method):
        """An action that may navigate: when it did, wait for the new page to load and audit it."""

        def action(self, *args, **kwargs):
            page = self if isinstance(self, Page) else self.page
            before = navigations.get(id(page))
            if before is not None:
                audit_if_due(page)  # a page some other way loaded, before this action leaves it
            result = method(self, *args, **kwargs)
            if before is not None and navigations.get(id(page)) != before and not page.is_closed():
                page.wait_for_load_state("load")
                unaudited.discard(id(page))
                audit(page)
            return result

        return action

    for cls, names in ((Page, PAGE_ACTIONS), (Locator, LOCATOR_ACTIONS)):
        for name in names:
            monkeypatch.setattr(cls, name, auditing(getattr(cls, name)))

    def make(user=None, *, mobile: bool = False, password: str = "Test-pass-2026", language: str = "zh-CN"):
        viewport = {"width": 390, "height": 844} if mobile else {"width": 1280, "height": 900}
        context = browser.new_context(viewport=viewport, locale=language, base_url=live_server.url)
        context.add_init_script(path=str(AXE))
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        navigations[id(page)] = 0
        page.on("framenavigated", counted(page))
        page.on("load", loaded(page))
        page.on(
            "console",
            lambda message: (
                refused.append(f"{page.url}: {message.text}") if "Content Security Policy" in message.text else None
            ),
        )
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
        try:
            if failed:
                os.makedirs(ARTIFACTS, exist_ok=True)
                for number, page in enumerate(context.pages):
                    page.screenshot(path=f"{ARTIFACTS}/{request.node.name}-{index}-{number}.png", full_page=True)
            else:
                for page in context.pages:  # the page as the test left it (panels opened, errors shown)
                    page.wait_for_load_state("load")
                    audit(page)
        finally:
            context.close()
    if os.environ.get("AXE_VERBOSE"):
        print("audited:", audited)
    if found and not failed:
        pytest.fail("WCAG 2.1 A/AA violations (axe-core):\n" + describe(found), pytrace=False)
    if refused and not failed:
        pytest.fail("Refused by the Content-Security-Policy:\n" + "\n".join(refused), pytrace=False)


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
