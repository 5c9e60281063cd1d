"""Architecture invariants: the core never imports a plugin package; plugins only use mfopt's API."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

PLUGIN_PACKAGES = {
    "mfopt_surrogates",
    "mfopt_detectors",
    "mfopt_problems",
    "mfopt_acquisitions",
    "mfopt_executors",
    "mfopt_strategies",
    "mfopt_observers",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_never_imports_a_plugin_package() -> None:
    offenders = {
        str(p.relative_to(ROOT)): sorted(_imports(p) & PLUGIN_PACKAGES)
        for p in (ROOT / "mfopt").rglob("*.py")
        if _imports(p) & PLUGIN_PACKAGES
    }
    assert offenders == {}


def test_plugins_do_not_import_each_other() -> None:
    for package in PLUGIN_PACKAGES:
        for path in (ROOT / "plugins" / package).rglob("*.py"):
            others = _imports(path) & (PLUGIN_PACKAGES - {package})
            assert not others, f"{path.relative_to(ROOT)} imports {sorted(others)}"


def test_import_linter_contracts_hold() -> None:
    exe = shutil.which("lint-imports")
    assert exe is not None, "import-linter is part of the dev extra"
    out = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def test_first_party_plugins_are_declared_as_entry_points() -> None:
    import tomllib

    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = data["project"]["entry-points"]["mfopt"]
    assert {v.split(".")[0] for v in declared.values()} == PLUGIN_PACKAGES
    assert sys.version_info >= (3, 11)
