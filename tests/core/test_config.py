"""problem.toml validation: every mistake is one line naming the file and the key, exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from mfopt.cli import main

GOOD = """
[problem]
name = "SongToalForretal0.50"
[budget]
total = 6
"""

BROKEN = [
    ("[problem]\nname = 'SongToalForretal0.50'\n[budget]\ntotl = 3\n", "[budget].totl: unknown key"),
    ("[problem]\nname = 'SongToalForretal0.50'\n[budget]\ntotal = -3\n", "[budget].total"),
    ("[problem]\nname = 'SongToalForretal0.50'\n[budget]\ntotal = 'ten'\n", "[budget].total"),
    ("[problem]\nname = 'SongToalForretal0.50'\n", "[budget]: required key is missing"),
    ("[budget]\ntotal = 3\n", "[problem]: required key is missing"),
    ("[problem]\nname = 'NoSuchPair'\n[budget]\ntotal = 3\n", "[problem].name: unknown problem 'NoSuchPair'"),
    (GOOD + "[surrogate]\nname = 'krigin'\n", "[surrogate].name: unknown surrogate 'krigin'"),
    (GOOD + "[acquisition]\nname = 'ei2'\n", "[acquisition].name: unknown acquisition 'ei2'"),
    (GOOD + "[acquisition]\nq = 0\n", "[acquisition].q"),
    (GOOD + "[executor]\nname = 'process'\nworkers = 'many'\n", "[executor]"),
    (GOOD + "[executor]\nname = 'process'\nwrokers = 2\n", "unknown option 'wrokers'"),
    (GOOD + "[run]\ndevice = 'gpu'\n", "[run].device"),
    (GOOD + "[design]\nsamples = { high = 0 }\n", "[design].samples"),
    (GOOD + "[design]\nsamples = { medium = 3 }\n", "[design].samples: no fidelity ['medium']"),
    (GOOD + "[problem.costs]\nlow = -1\n", "[problem].costs"),
    (GOOD + "[problem.costs]\nultra = 2\n", "[problem].costs"),
    (GOOD + "[bogus]\nx = 1\n", "bogus: unknown key"),
    ("[problem\nname = 1\n", "invalid TOML"),
    (
        "[problem]\nname = 'SongToalForretal0.50'\n[budget]\ntotal = 2\n[design]\nsamples = { high = 5 }\n",
        "the initial design alone costs 5",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BROKEN)
def test_broken_config_exits_2_with_one_line(
    text: str, expected: str, in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = in_tmp / "problem.toml"
    path.write_text(text)
    code = main(["optimize", str(path), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"error: {path}: ") or "invalid TOML" in err
    assert expected in err
    assert "Traceback" not in err


def test_missing_file_is_a_config_error(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["optimize", "nope.toml"]) == 2
    assert "nope.toml: no such file" in capsys.readouterr().err


def test_debug_shows_the_traceback(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = in_tmp / "p.toml"
    path.write_text("[budget]\ntotal = 1\n")
    assert main(["--debug", "optimize", str(path)]) == 2
    assert "Traceback" in capsys.readouterr().err
