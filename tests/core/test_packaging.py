"""Packaging cannot hide a missing dependency: deptry runs clean, knows every first-party plugin
package, and fails on an undeclared import."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT

DEPTRY = shutil.which("deptry")
pytestmark = pytest.mark.skipif(DEPTRY is None, reason="deptry is part of the dev extra")


def test_deptry_passes_on_the_repository() -> None:
    assert DEPTRY is not None
    out = subprocess.run([DEPTRY, "."], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_plugin_package_is_first_party_for_deptry() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {p.name for p in (ROOT / "plugins").iterdir() if (p / "__init__.py").exists()}
    # benchmark and example scripts imported by their siblings
    scripts = {p.stem for p in [*ROOT.glob("benchmarks/*.py"), *ROOT.glob("examples/**/*.py")]}
    known = set(config["tool"]["deptry"]["known_first_party"])
    assert known >= {"mfopt", *packages} and known - {"mfopt", *packages} <= scripts


def test_deptry_fails_on_an_undeclared_import(tmp_path: Path) -> None:
    assert DEPTRY is not None
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "probe"\nversion = "0"\ndependencies = ["pluggy"]\n')
    (tmp_path / "probe").mkdir()
    (tmp_path / "probe" / "__init__.py").write_text("import pluggy\nimport typer\n")
    out = subprocess.run([DEPTRY, "."], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "'typer' imported but" in out.stdout + out.stderr


def test_the_cli_imports_no_click() -> None:
    source = (ROOT / "mfopt" / "cli" / "__init__.py").read_text()
    assert "import click" not in source  # typer 0.29 vendors its own; click is not a dependency
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert any(d.startswith("typer>=0.29,<0.30") for d in deps)
