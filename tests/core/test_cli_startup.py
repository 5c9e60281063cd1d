"""``mfopt --help`` (and each command's --help) starts without torch, BoTorch or the engine;
``mfopt --help`` without typer, from the command index, printing exactly what typer would."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mfopt.cli import main
from mfopt.cli.commands import COMMANDS, register

HEAVY = ("torch", "botorch", "gpytorch", "linear_operator", "scipy", "matplotlib", "mfopt.loop", "mfopt.data")

_PROBE = """
import sys
from mfopt.cli import main
code = main({argv!r})
print("RESULT", code, sorted(m for m in {heavy!r} if m in sys.modules))
"""


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["optimize", "--help"], ["report", "--help"], ["plugins", "--help"], ["features", "--help"]],
    ids=lambda a: " ".join(a),
)
def test_help_does_not_import_the_engine(argv: list[str]) -> None:
    code = _PROBE.format(argv=argv, heavy=HEAVY)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    result = [line for line in out.stdout.splitlines() if line.startswith("RESULT")]
    assert result == ["RESULT 0 []"], out.stdout[-2000:] + out.stderr


def test_import_mfopt_is_light() -> None:
    code = f"import sys, mfopt; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_root_help_imports_no_typer() -> None:
    code = "import sys; from mfopt.cli import main; main(['--help']); print([m for m in sys.modules if 'typer' in m])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.splitlines()[-1] == "[]"


def _typer_app():  # type: ignore[no-untyped-def]
    from mfopt.cli.typer_app import app

    register()
    return app


def test_the_command_index_matches_what_the_modules_register() -> None:
    import typer

    group = typer.main.get_command(_typer_app())
    ctx = typer.Context(group)  # type: ignore[arg-type]
    names = group.list_commands(ctx)  # type: ignore[attr-defined]
    assert names == list(COMMANDS)
    for name in names:
        help_text = group.get_command(ctx, name).help or ""  # type: ignore[attr-defined]
        assert " ".join(help_text.split("\n\n")[0].split()) == COMMANDS[name].summary, name


@pytest.mark.parametrize("columns", ["40", "60", "80", "200"])
def test_fast_root_help_is_what_typer_prints(
    columns: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    assert main(["--help"]) == 0
    fast = capsys.readouterr().out
    _typer_app()(args=["--help"], prog_name="mfopt", standalone_mode=False)
    assert fast == capsys.readouterr().out
    assert main([]) == 2  # bare ``mfopt``: the same text on stderr, a usage exit code
    assert capsys.readouterr().err == fast
