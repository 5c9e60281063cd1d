"""benchmarks/study_speed.py --fits: the fits of each panel task, the least of several timings."""

from __future__ import annotations

import pytest

from tests.scripts import load_benchmark


def test_fits_times_each_task_with_the_least_of_its_repeats(monkeypatch: pytest.MonkeyPatch) -> None:
    ss = load_benchmark("study_speed")
    monkeypatch.setattr(ss, "PANEL", ((("SongToalForretal0.50", "ShiCurrinSin"), 2, 4, 1),))  # one small task
    calls: list[str] = []
    real_k, real_c = ss.kriging_cpu, ss.cheap_cpu

    def kriging(pm: object, spec: object) -> float:
        calls.append("k")
        return float(real_k(pm, spec))

    def cheap(pm: object, spec: object) -> float:
        calls.append("c")
        return float(real_c(pm, spec))

    monkeypatch.setattr(ss, "kriging_cpu", kriging)
    monkeypatch.setattr(ss, "cheap_cpu", cheap)
    [(label, k, c)] = ss.fits_cpu(reps=2, repeat=3)
    assert label == "SongToalForretal0.50+ShiCurrinSin nh=2 nl=4"
    assert k > 0 and c > 0
    assert calls == ["k", "c"] + ["k"] * 3 + ["c"] * 3  # the warm-up once, then each fit 3 times


def _rows(pair: str, n_high: int, n_low: int, dim: int, stamp: float) -> list:
    from mfopt.benchmark.results import Row

    return [
        Row(pair, n_high, n_low, dim, rep, rep, model, 0.5, 0.1, 0.0, {}, {}, stamp)
        for rep in (1, 2)
        for model in ("kriging", "cokriging")
    ]


def test_observed_rates_come_from_the_time_between_stores(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    from mfopt.benchmark.export import write_export

    ss = load_benchmark("study_speed")
    t0 = 1_000_000.0
    rows = (
        _rows("ShiCurrinSin", 2, 4, 1, t0)  # the first store: not timed
        + _rows("ShiSantner", 2, 4, 1, t0 + 6)  # 6 s
        + _rows("LiuPedagogical", 2, 4, 1, t0 + 18) + _rows("SongToalForretal0.50", 2, 4, 1, t0 + 18)  # 12 s for 2
        + _rows("ShiHartmannH3", 6, 12, 3, t0 + 5000)  # after a gap of more than an hour: a new session
        + _rows("ToalHartmannH30.50", 6, 12, 3, t0 + 5030)  # 30 s
    )  # fmt: skip
    path = tmp_path / "r.jsonl.gz"
    write_export(rows, path, {"seed": "0"}, "test")
    sample = tmp_path / "sample.txt"
    sample.write_text("# a sample\nShiSantner 2 4\nToalHartmannH30.70 6 12\nToalHartmannH30.50 6 12\n")
    ss.observed([path], sample, 90.0)
    out = capsys.readouterr().out
    assert "6 instances stored in 5 runs; 4 timed (one worker: the time between stores) in 0.8 min: 5.00" in out
    assert "d =  1, n_l =   4:    3 instances,     6.0 s each ( 10.00/min)" in out
    assert "d =  3, n_l =  12:    1 instances,    30.0 s each (  2.00/min)" in out
    # one unfinished instance, at an observed (d, n_l): 30 s
    assert "2 of 3 sample instances stored, 1 to run: 0.0 h (0.5 min) on one worker" in out


def test_profile_and_batch_check_print_their_parts(capsys: pytest.CaptureFixture[str]) -> None:
    ss = load_benchmark("study_speed")
    ss.profile("ShiHartmannH3", 6, 12, 2)
    out = capsys.readouterr().out
    assert out.startswith("ShiHartmannH3 (n_h, n_l) = (6, 12), d = 3, 2 repetitions: task ")
    assert "Co-Kriging stage 1 " in out and "detectors " in out and "ncalls" in out
    ss.batch_check("ShiHartmannH3", "ToalHartmannH30.50", 6, 12, 2)
    lines = capsys.readouterr().out.splitlines()
    assert "batched with ToalHartmannH30.50" in lines[0]
    assert [line.split(":")[0].strip() for line in lines[1:]] == ["rep 1", "rep 2"]
    assert all("test correlation alone 0." in line for line in lines[1:])


def test_stage1_plan_counts_first_stage_fits_against_distinct_pair_n_low(
    tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    ss = load_benchmark("study_speed")
    sample = tmp_path / "s.txt"
    # two pairs at n_l = 8 with n_h 2 and 4, but only one pair at n_h = 6: the tasks' pair sets differ
    sample.write_text("ShiBranin 2 8\nToalBranin0.50 2 8\nShiBranin 4 8\nToalBranin0.50 4 8\nShiBranin 6 8\n")
    ss.stage1_plan(sample)
    out = capsys.readouterr().out
    assert out.startswith("5 instances, 3 tasks:")
    assert "d =  2:    3 /    2" in out  # run (both pairs; n_h 2, 4) fits 2, run (ShiBranin; n_h 6) fits 1
