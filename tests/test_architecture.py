"""The architecture rules that import-linter cannot see, and import-linter itself.

import-linter reads every import, including one inside a function, so a lazy import cannot
break a contract unnoticed; but a lazy import of the project's own code is how a cycle hides
(`def f(): from x import y`). These tests list every such import, so it is fixed in the
dependency instead: only `AppConfig.ready()` (and the rest of `apps.py`) may import lazily.
Migrations freeze their data: they import no application code, so editing the code never
changes what an old migration does.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("incidents", "postmortems", "reporting", "config")
# Application code a migration must not import (config holds only settings and wiring).
MIGRATION_FORBIDDEN = ("incidents", "postmortems", "reporting")


def _sources(*, migrations: bool) -> list[Path]:
    paths = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if ("migrations" in path.relative_to(ROOT).parts) == migrations:
                paths.append(path)
    return paths


def _imported_roots(node: ast.Import | ast.ImportFrom) -> list[str]:
    """The top-level package of each module the statement imports ("." for a relative one)."""
    if isinstance(node, ast.ImportFrom):
        if node.level:
            return ["."]
        return [(node.module or "").split(".")[0]]
    return [alias.name.split(".")[0] for alias in node.names]


def _is_app_config_ready(func: ast.AST, parents: list[ast.AST]) -> bool:
    if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef) or func.name != "ready":
        return False
    owner = parents[-1] if parents else None
    if not isinstance(owner, ast.ClassDef):
        return False
    return any(ast.unparse(base).split(".")[-1] == "AppConfig" for base in owner.bases)


def _function_local_imports(path: Path, roots: tuple[str, ...]) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []

    def visit(node: ast.AST, parents: list[ast.AST], function: ast.AST | None) -> None:
        for child in ast.iter_child_nodes(node):
            if (
                isinstance(child, ast.Import | ast.ImportFrom)
                and function is not None
                and any(root == "." or root in roots for root in _imported_roots(child))
            ):
                where = path.relative_to(ROOT)
                found.append(f"{where}:{child.lineno}: {ast.unparse(child)}")
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                if _is_app_config_ready(child, [*parents, node]):
                    continue
                visit(child, [*parents, node], child)
            else:
                visit(child, [*parents, node], function)

    visit(tree, [], None)
    return found


def _all_imports(path: Path, roots: tuple[str, ...]) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        and any(root == "." or root in roots for root in _imported_roots(node))
    ]


def test_no_function_local_import_of_project_code():
    offenders = [
        line
        for path in _sources(migrations=False)
        if path.name != "apps.py"
        for line in _function_local_imports(path, APPS)
    ]
    assert not offenders, (
        "Imports of project code inside a function hide a dependency (often a cycle); "
        "import at module level and fix the direction instead:\n" + "\n".join(offenders)
    )


def test_migrations_import_no_application_code():
    offenders = [
        line
        for path in _sources(migrations=True)
        for line in _all_imports(path, MIGRATION_FORBIDDEN)
    ]
    assert not offenders, (
        "A migration must freeze its data and logic (use apps.get_model and literal values), "
        "not import live code:\n" + "\n".join(offenders)
    )


def test_checker_sees_a_lazy_import_and_spares_app_config_ready(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    source = tmp_path / "sample.py"
    source.write_text(
        "import incidents.models\n"
        "from django.apps import AppConfig\n"
        "class Config(AppConfig):\n"
        "    def ready(self):\n"
        "        from . import signals\n"
        "def helper():\n"
        "    import json\n"
        "    from reporting.breach import services\n"
        "class Thing:\n"
        "    def method(self):\n"
        "        from .x import y\n",
        encoding="utf-8",
    )
    assert _function_local_imports(source, APPS) == [
        "sample.py:8: from reporting.breach import services",
        "sample.py:11: from .x import y",
    ]


@pytest.mark.slow
def test_import_contracts_hold():
    """The [tool.importlinter] contracts in pyproject.toml (also run by make lint)."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports)],
        cwd=ROOT,  # reads [tool.importlinter] from pyproject.toml
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
