"""``mfopt --help`` (and each command's --help) starts without torch, BoTorch or the engine."""

from __future__ import annotations

import subprocess
import sys

import pytest

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
