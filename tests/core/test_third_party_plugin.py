"""A separately installed package's plugin is found through the entry point (a real pip install)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the installed example plugin (its dist-info carries the entry point)."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "--target",
            str(target),
            str(EXAMPLES / "third_party_plugin"),
        ],
        check=True,
        capture_output=True,
    )
    return target


def _run(site: Path, *args: str, disable: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site), "MFOPT_DISABLE_PLUGINS": disable}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, check=False, env=env)


def test_installed_plugin_appears_in_mfopt_plugins(plugin_site: Path) -> None:
    out = _run(plugin_site, "-m", "mfopt", "plugins", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    plugins = {p["name"]: p for p in data["plugins"]}
    assert plugins["example-plugin"]["distribution"] == "mfopt-example-plugin"
    assert plugins["example-plugin"]["version"] == "0.1.0"
    names = [p["name"] for p in data["families"]["problems"] if p["plugin"] == "example-plugin"]
    assert names == ["ExampleSphere"]


def test_installed_plugin_passes_its_own_contract_test(plugin_site: Path) -> None:
    out = _run(plugin_site, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLES / "third_party_plugin"))
    assert out.returncode == 0, out.stdout + out.stderr


def test_disabling_the_plugin_hides_it(plugin_site: Path) -> None:
    out = _run(plugin_site, "-m", "mfopt", "plugins", "--json", disable="example-plugin")
    assert out.returncode == 0, out.stderr
    assert "example-plugin" not in {p["name"] for p in json.loads(out.stdout)["plugins"]}


def test_without_the_package_the_plugin_is_absent() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mfopt", "plugins", "--json"], capture_output=True, text=True, check=True
    )
    assert "example-plugin" not in {p["name"] for p in json.loads(out.stdout)["plugins"]}
