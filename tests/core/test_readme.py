"""The README's claims run: its Python example, its error lines, its commands' names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mfopt.cli import main
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_python_example_runs(in_tmp: Path) -> None:
    (block,) = [b for b in re.findall(r"```python\n(.*?)```", README, re.S) if "study.ask()" in b]
    namespace: dict[str, object] = {}
    exec(compile(block, "README.md", "exec"), namespace)
    best = namespace["study"].best()  # type: ignore[attr-defined]
    assert best is not None and abs(best.x[0] - 0.3) < 0.1


def test_readme_error_lines_are_what_mfopt_prints(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shown = re.findall(r"^error: problem\.toml: .*$", README, re.M)
    assert len(shown) == 2
    (in_tmp / "problem.toml").write_text("[problem]\nname = 'SongToalForretal0.50'\n[budget]\ntotl = 3\n")
    assert main(["optimize", "problem.toml"]) == 2
    assert capsys.readouterr().err.strip() == shown[0]
    (in_tmp / "problem.toml").write_text(
        "[problem]\nname = 'SongToalForretal0.50'\n[budget]\ntotal = 3\n[executor]\nname = 'proces'\n"
    )
    assert main(["optimize", "problem.toml"]) == 2
    assert capsys.readouterr().err.strip() == shown[1]


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_second() -> None:
    section = README.split("## Set-up: the two commands")[1].split("##")[0]
    commands = [
        line
        for line in re.findall(r"```bash\n(.*?)```", section, re.S)[0].splitlines()
        if line and not line.startswith("#")
    ]
    assert commands == [
        "pip install torch==2.13.0 && pip install -e . && mfopt optimize examples/forrester.toml",
        "bash scripts/test",
    ]
    assert "bash scripts/test" in (ROOT / ".ci" / "run").read_text()
