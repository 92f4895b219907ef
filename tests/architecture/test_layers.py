"""Dependencies point one way: an app imports only the apps below it (docs/architecture.md).

Every import counts, at the top of a module or inside a function (a lazy import is how a cycle
hides). Migrations are left out: they name models by app label, not by import.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Lowest first. An app may import those before it in this list, never one after it; apps on
# the same step ("beside") don't import each other.
LAYERS = [
    {"tenancy"},
    {"core"},
    {"jobs"},
    {"budgets", "webhooks"},
    {"approvals"},
    {"studies", "offers", "rewards"},
    {"incentives"},
    {"audit", "payouts"},
    {"api"},
    {"config"},
]
STEP = {app: step for step, apps in enumerate(LAYERS) for app in apps}


def imported_apps(path: Path) -> set[tuple[str, int]]:
    """(app, line) for each import of one of our apps in this file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {(name.split(".")[0], node.lineno) for name in names if name.split(".")[0] in STEP}
    return found


def upward_imports(app: str) -> list[str]:
    wrong = []
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for imported, line in sorted(imported_apps(path)):
            if imported != app and STEP[imported] >= STEP[app]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    return wrong


@pytest.mark.parametrize("app", sorted(STEP))
def test_an_app_imports_only_the_apps_below_it(app):
    assert upward_imports(app) == []


def test_the_check_sees_an_upward_import(tmp_path, monkeypatch):
    """The test above could fail: a budgets module importing incentives (inside a function,
    as lazy imports do) is reported."""
    fake = tmp_path / "budgets"
    fake.mkdir()
    (fake / "views.py").write_text("def page():\n    from incentives.models import Incentive\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    assert upward_imports("budgets") == ["budgets/views.py:2 imports incentives"]
