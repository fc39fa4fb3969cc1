"""The layering rule of docs/architecture.md, checked: an app imports only apps below it.

    core ← orgs ← accounts ← people ← membership, servicedesk, activities ← volunteering ← api ← dashboard ← demo

Apps on one level (membership, servicedesk, activities) do not import each other. Every import counts,
also one inside a function, except a type-only import under ``if TYPE_CHECKING:`` (it never runs:
core's Actor names the user model that way); tests and migrations are left out.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "dangjian"
LEVELS = {
    "core": 0,
    "orgs": 1,
    "accounts": 2,
    "phrases": 2,  # quick phrases: reads the region tree; the apps above register their fields
    "people": 3,
    "membership": 4,
    "servicedesk": 4,
    "activities": 4,
    "volunteering": 5,
    "api": 6,
    "evaluation": 6,  # reads the rates and the other apps' selectors; nothing below reads it
    "dashboard": 7,
    "demo": 8,
}


def _type_only(tree: ast.AST) -> set[int]:
    """Ids of the import nodes under ``if TYPE_CHECKING:`` (read by the type checker, never run)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            found.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    return found


def imported_apps(source: str) -> set[str]:
    apps = set()
    tree = ast.parse(source)
    type_only = _type_only(tree)
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
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
        (
            "core",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from dangjian.accounts.models import User\n",
            False,
        ),
        ("core", "if TYPE_CHECKING:\n    pass\nelse:\n    from dangjian.accounts.models import User\n", True),
    ],
)
def test_the_check_sees_an_upward_import(tmp_path, app, source, wrong):
    (tmp_path / app).mkdir()
    (tmp_path / app / "module.py").write_text(source, encoding="utf-8")
    assert bool(wrong_imports(tmp_path)) is wrong


# --- who acts: services and selectors take an Actor, never the HTTP request ----------------------

# Modules that answer HTTP may take the request (views, the API views and its document, API-key
# authentication, the APIs' reading of bodies, middleware, context processors, URL configs);
# nothing else may.
HTTP_MODULES = (
    "views",
    "rest",
    "open311",
    "openapi",
    "authentication",
    "http",
    "middleware",
    "context_processors",
    "urls",
)


def boundary_problems(root: Path) -> list[str]:
    """Functions outside the HTTP modules that take a ``request``; that take an ``actor`` / ``user``
    meaning who acts without it being a keyword-only ``Actor``; or that take the moment beside the
    actor (it is ``actor.now`` / ``actor.today``)."""
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if "tests" in relative.parts or "migrations" in relative.parts or relative.parts[0] not in LEVELS:
            continue
        if path.stem.endswith(HTTP_MODULES) or relative.parts[-2:] == ("core", "actors.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            args = node.args
            for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
                annotation = ast.unparse(arg.annotation) if arg.annotation else ""
                if arg.arg == "request" or "HttpRequest" in annotation:
                    found.append(f"{relative}:{node.lineno} {node.name} takes the HTTP request")
                if arg.arg == "actor" and annotation != "Actor":
                    found.append(f"{relative}:{node.lineno} {node.name}: actor is {annotation or 'untyped'}")
                if arg.arg == "user" and annotation in ("", "Any"):
                    found.append(f"{relative}:{node.lineno} {node.name}: an untyped user")
            keywords = {a.arg for a in args.kwonlyargs}
            if "actor" in keywords and keywords & {"now", "today"}:
                found.append(f"{relative}:{node.lineno} {node.name} takes the time beside the actor (actor.now)")
            public = not node.name.startswith("_")
            if public and path.stem.endswith(("services", "selectors")) and any(a.arg == "actor" for a in args.args):
                found.append(f"{relative}:{node.lineno} {node.name}: actor is not keyword-only")
    return found


def test_services_and_selectors_take_an_actor_not_the_request():
    assert boundary_problems(ROOT) == []


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("services.py", "def f(*, actor: Actor, request: Any = None): ..."),
        ("selectors.py", "def f(*, user: Any): ..."),
        ("selectors.py", "def f(actor: Actor, pk: int): ..."),
        ("lifecycle.py", "def f(*, actor: Any): ..."),
        ("selectors.py", "def f(*, actor: Actor, today: dt.date | None = None): ..."),
    ],
)
def test_the_boundary_check_sees_a_leak(tmp_path, name, source):
    (tmp_path / "people").mkdir()
    (tmp_path / "people" / name).write_text(source, encoding="utf-8")
    assert boundary_problems(tmp_path)


def test_the_benchmarks_do_not_import_the_tests():
    """bench/*.py run as scripts (python bench/run.py), where the tests package is not importable."""
    bench = ROOT.parent / "bench"
    leaking = [p.name for p in bench.glob("*.py") if "tests" in imported_top_level(p.read_text(encoding="utf-8"))]
    assert leaking == []


def imported_top_level(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names
