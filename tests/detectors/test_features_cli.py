"""``mfopt features`` end to end through ``mfopt.cli.main``: exit codes and printed output."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mfopt import get_plugin_manager
from mfopt.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["features", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_song_toal_a0_uses_the_cheap_source(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--problem", "SongToalForretal0.00", "--nh", "8", "--nl", "16", "--seed", "1", "--json")
    assert code == 0
    result = json.loads(out)
    assert (result["n_high"], result["n_low"], result["d"]) == (8, 16, 1)
    f = result["features"]
    assert f["CC"] > 0.8 and f["R2_L"] == pytest.approx(1.0)  # f_h - f_l = 5 - 10(x - 0.5) is linear
    decisions = {d["detector"]: d for d in result["decisions"]}
    assert set(decisions) >= {"guideline", "guideline-code", "toal-cc", "always", "never"}
    assert decisions["guideline"]["use_low"] is True
    assert decisions["guideline"]["rule"].startswith("guideline.2")
    assert decisions["never"]["use_low"] is False


def test_the_same_seed_gives_the_same_features(capsys: pytest.CaptureFixture[str]) -> None:
    args = ("--problem", "SongToalForretal0.50", "--nh", "4", "--nl", "8", "--seed", "7", "--json")
    first = json.loads(run(capsys, *args)[1])["features"]
    again = json.loads(run(capsys, *args)[1])["features"]
    other = json.loads(run(capsys, *args[:-3], "--seed", "8", "--json")[1])["features"]
    assert first == again
    assert first != other


@pytest.mark.skipif("MarchWillcoxRosenbrock5" not in get_plugin_manager().problems, reason="problem not registered yet")
def test_march_willcox_rosenbrock_low_source_is_ignored(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--problem", "MarchWillcoxRosenbrock5", "--nh", "10", "--nl", "20", "--seed", "1")
    assert code == 0
    line = next(s for s in out.splitlines() if s.strip().startswith("guideline "))
    assert "ignore low" in line and "guideline.1c" in line


def test_text_output_lists_features_and_reasons(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--problem", "SongToalForretal0.00", "--nh", "8", "--nl", "16", "--seed", "1")
    assert code == 0
    assert "LCC_root_0.95" in out and "Decisions:" in out
    assert "CC = 0.8254 >= 0.7 on 8 matched points" in out


def write_csv(tmp_path: Path, text: str) -> str:
    path = tmp_path / "samples.csv"
    path.write_text(text)
    return str(path)


def test_csv_sample(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    x = np.linspace(0.0, 2.0, 6)
    rows = ["x1,y_high,y_low"] + [f"{v},{v**2},{2 * v**2 + 1}" for v in x] + ["0.3,,5.0", "1.1,,2.0"]
    code, out, _ = run(capsys, "--data", write_csv(tmp_path, "\n".join(rows)), "--json")
    assert code == 0
    result = json.loads(out)
    assert (result["n_high"], result["n_low"]) == (6, 8)
    assert result["features"]["CC"] == pytest.approx(1.0)
    assert result["features"]["B_r"] == pytest.approx(0.75)


def test_csv_bounds_scale_the_local_correlations(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rows = ["x1,x2,y_high,y_low"] + [f"{i},{(3 * i) % 7},{i * i % 5},{i}" for i in range(7)]
    path = write_csv(tmp_path, "\n".join(rows))
    own = json.loads(run(capsys, "--data", path, "--json")[1])["features"]
    wide = json.loads(run(capsys, "--data", path, "--lower", "-1e6", "--upper", "1e6,1e6", "--json")[1])["features"]
    assert own["CC"] == pytest.approx(wide["CC"])
    assert own["LCC_0.2_mean"] != pytest.approx(wide["LCC_0.2_mean"])
    assert wide["LCC_0.2_mean"] == pytest.approx(own["CC"], rel=1e-3)  # a huge box: every point is a neighbour


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x1,y_high\n1,2\n2,3\n3,4\n", "missing column(s) y_low"),
        ("y_high,y_low\n1,2\n2,3\n3,4\n", "missing column(s) x1"),
        ("x1,x3,y_high,y_low\n1,1,2,2\n2,2,3,3\n3,3,4,4\n", "missing column(s) x2"),
        ("x1,y_high,y_low\n1,2,2\n2,abc,3\n3,4,4\n", "row 2 column 'y_high': 'abc' is not a number"),
        ("x1,y_high,y_low\n1,2,2\n2,3,3\nfoo,4,4\n", "row 3 column 'x1': 'foo' is not a number"),
        ("x1,y_high,y_low\n1,2,\n2,3,3\n3,4,4\n", "row 1 column 'y_low'"),
        ("x1,y_high,y_low\n1,2,2\n2,3,nan\n3,4,4\n", "not a finite number"),
        ("x1,y_high,y_low\n1,2,2\n2,3,3\n", "at least 3 rows"),
        ("x1,y_high,y_low\n1,2,2\n2,3,3\n3,,4\n", "at least 3 rows"),
        ("", "empty file"),
    ],
)
def test_malformed_csv_is_a_one_line_config_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, message: str
) -> None:
    code, _, err = run(capsys, "--data", write_csv(tmp_path, text))
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--nh", "4", "--nl", "8"), "exactly one of --problem"),
        (("--problem", "SongToalForretal0.00", "--nh", "4"), "needs --nh and --nl"),
        (("--problem", "SongToalForretal0.00", "--nh", "9", "--nl", "8"), "1 <= nh <= nl"),
        (("--problem", "NoSuchProblem", "--nh", "4", "--nl", "8"), "unknown problem"),
    ],
)
def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2
    assert message in err


def test_csv_bounds_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write_csv(tmp_path, "x1,x2,y_high,y_low\n0,0,1,1\n1,0,2,2\n0,1,3,4\n")
    assert run(capsys, "--data", path, "--lower", "0,0,0")[0] == 2
    code, _, err = run(capsys, "--data", path, "--lower", "0.5", "--upper", "1")
    assert code == 2 and "outside the box" in err
    code, _, err = run(capsys, "--data", str(tmp_path / "missing.csv"))
    assert code == 2 and "cannot read" in err
