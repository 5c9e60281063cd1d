from __future__ import annotations

import json

import pytest

from mfopt.cli import main


def test_compare_cli_cokriging_wins_on_forrester(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["compare", "--problem", "SongToalForretal0.50", "--nh", "4", "--nl", "8", "--reps", "4", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    ck, kr = out["models"]["cokriging"], out["models"]["kriging"]
    assert len(ck["correlations"]) == 4 and len(kr["rrmse"]) == 4
    assert ck["median_correlation"] >= 0.98 > kr["median_correlation"]
    assert ck["mean_fit_seconds"] > 0


def test_compare_cli_bad_sizes_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "--problem", "SongToalForretal0.50", "--nh", "9", "--nl", "8", "--reps", "2"]) == 2
    assert "nh <= nl" in capsys.readouterr().err
