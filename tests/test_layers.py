"""The layout: the root holds the entry points, and what import-linter cannot see is checked here.

import-linter (`make lint`) checks the packages; it takes only packages as roots, so the four
root modules are read here with `ast`.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("routes", "web", "accounts", "services", "sql")
ENTRY_POINTS = {"app", "admin", "mailer_service"}
ROOT_MODULES = {*ENTRY_POINTS, "settings"}
OURS = {*PACKAGES, *ROOT_MODULES}
# What each root module may import of ours.
ALLOWED = {
    "settings": set(),
    "mailer_service": {"settings", "services", "sql"},
    "admin": {"settings", "accounts", "services", "sql"},
    "app": {"settings", "routes", "web", "accounts", "services", "sql"},
}


def imported_roots(path: Path) -> set[str]:
    """The top-level names a module imports, anywhere in it (function-level imports too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_the_root_holds_only_the_entry_points_and_settings() -> None:
    assert {p.stem for p in ROOT.glob("*.py")} == ROOT_MODULES


def test_each_root_module_imports_only_what_lies_below_it() -> None:
    for name, allowed in ALLOWED.items():
        ours = imported_roots(ROOT / f"{name}.py") & OURS
        assert ours <= allowed, f"{name}.py imports {sorted(ours - allowed)}"


def test_every_package_has_an_init_and_no_module_shadows_a_package() -> None:
    for package in PACKAGES:
        folders = [ROOT / package, *(p for p in (ROOT / package).rglob("*") if p.is_dir())]
        for folder in folders:
            if folder.name in ("__pycache__", "migrations"):
                continue
            assert (folder / "__init__.py").is_file(), f"{folder} has no __init__.py"
            assert not folder.with_suffix(".py").exists(), f"{folder}.py shadows {folder}/"


def test_no_module_in_the_packages_is_over_300_lines() -> None:
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            lines = len(path.read_text().splitlines())
            assert lines <= 300, f"{path.relative_to(ROOT)} has {lines} lines"
