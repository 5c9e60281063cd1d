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
