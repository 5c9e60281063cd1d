"""The plugin how-tos run: each page's files (fenced blocks starting ``# file: NAME``) are written
to a fresh directory and its ``run.py`` runs in a subprocess, which asserts what the page claims."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

HOWTO = ROOT / "docs" / "howto"
KINDS = ("problem", "surrogate", "detector", "acquisition", "strategy", "executor")
FILE_BLOCK = re.compile(r"```(?:python|toml)\n# file: (\S+)\n(.*?)```", re.S)


def files(page: Path) -> dict[str, str]:
    """The page's ``# file:`` blocks, name -> text (a name given twice is an error)."""
    found: dict[str, str] = {}
    for name, text in FILE_BLOCK.findall(page.read_text(encoding="utf-8")):
        assert name not in found, f"{page.name}: two blocks for {name}"
        found[name] = text
    return found


def test_there_is_one_page_per_plugin_kind() -> None:
    pages = sorted(p.stem for p in HOWTO.glob("*.md") if p.stem != "index")
    assert sorted(KINDS) == pages


@pytest.mark.parametrize("kind", KINDS)
def test_howto_example_runs(kind: str, tmp_path: Path) -> None:
    page = HOWTO / f"{kind}.md"
    blocks = files(page)
    assert "run.py" in blocks, f"{page.name} has no run.py block"
    for name, text in blocks.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "run.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env
    )
    assert done.returncode == 0, f"{page.name}: run.py failed\n{done.stdout}\n{done.stderr}"
