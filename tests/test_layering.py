"""The layering rule of docs/architecture.md, checked: an app imports only apps below it.

    core ← orgs ← accounts ← people ← membership, servicedesk ← api ← dashboard ← demo

Apps on one level (membership and servicedesk) do not import each other. Every import counts,
also one inside a function; tests and migrations are left out (tests may build on anything).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "dangjian"
LEVELS = {
    "core": 0,
    "orgs": 1,
    "accounts": 2,
    "people": 3,
    "membership": 4,
    "servicedesk": 4,
    "api": 5,
    "dashboard": 6,
    "demo": 7,
}


def imported_apps(source: str) -> set[str]:
    apps = set()
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "dangjian" and len(parts) > 1:
                apps.add(parts[1])
    return apps


def wrong_imports(root: Path) -> list[str]:
    """Each import of an app that is not below the importing one, as 'file: a → b'."""
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        app = relative.parts[0]
        if app not in LEVELS or "tests" in relative.parts or "migrations" in relative.parts:
            continue
        for other in imported_apps(path.read_text(encoding="utf-8")) - {app}:
            if other not in LEVELS:
                continue  # config (the top: settings and URLs) is imported by no app
            if LEVELS[other] >= LEVELS[app]:
                found.append(f"{relative}: {app} → {other}")
    return found


def test_every_app_imports_only_apps_below_it():
    assert wrong_imports(ROOT) == []


def test_every_app_has_a_level():
    apps = {p.parent.name for p in ROOT.glob("*/apps.py")}
    assert apps == set(LEVELS), apps ^ set(LEVELS)


@pytest.mark.parametrize(
    ("app", "source", "wrong"),
    [
        ("core", "def f():\n    from dangjian.accounts.models import User\n", True),  # inside a function too
        ("membership", "from dangjian.servicedesk import lifecycle\n", True),  # a sibling
        ("people", "import dangjian.core.access\nfrom dangjian.orgs import models\n", False),
    ],
)
def test_the_check_sees_an_upward_import(tmp_path, app, source, wrong):
    (tmp_path / app).mkdir()
    (tmp_path / app / "module.py").write_text(source, encoding="utf-8")
    assert bool(wrong_imports(tmp_path)) is wrong
