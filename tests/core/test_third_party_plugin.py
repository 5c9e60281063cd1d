"""A separately installed package's plugin is found through the entry point (real pip install)."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment that sees this mfopt (system site-packages) plus the example plugin."""
    root = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(root)
    python = root / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            str(EXAMPLES / "third_party_plugin"),
        ],
        check=True,
        capture_output=True,
    )
    return python


def test_installed_plugin_appears_in_mfopt_plugins(plugin_env: Path) -> None:
    out = subprocess.run(
        [str(plugin_env), "-m", "mfopt", "plugins", "--json"], capture_output=True, text=True, check=True
    )
    data = json.loads(out.stdout)
    plugins = {p["name"]: p for p in data["plugins"]}
    assert plugins["example-plugin"]["distribution"] == "mfopt-example-plugin"
    assert plugins["example-plugin"]["version"] == "0.1.0"
    names = [p["name"] for p in data["families"]["problems"] if p["plugin"] == "example-plugin"]
    assert names == ["ExampleSphere"]


def test_installed_plugin_passes_its_own_contract_test(plugin_env: Path) -> None:
    out = subprocess.run(
        [str(plugin_env), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLES / "third_party_plugin")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_disabling_the_plugin_hides_it(plugin_env: Path) -> None:
    out = subprocess.run(
        [str(plugin_env), "-m", "mfopt", "plugins", "--json"],
        capture_output=True,
        text=True,
        check=True,
        env={"MFOPT_DISABLE_PLUGINS": "example-plugin", "PATH": "/usr/bin:/bin"},
    )
    assert "example-plugin" not in {p["name"] for p in json.loads(out.stdout)["plugins"]}
