"""benchmarks/detector_protocol.py: the detectors per instance on the mean features, next to per case."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from mfopt.benchmark.analysis import group
from mfopt.benchmark.results import ResultsStore, Row
from tests.scripts import load_benchmark


def _rows() -> list[Row]:
    """Three 2-repetition instances: only Co-Kriging good with one misleading sample, only Kriging
    good, both good; stored decisions as the detectors take them on each sample."""
    budget = {"B_h_r": 2.0, "B_r": 0.5, "R2_L": 0.0}
    samples = {
        "ck": [(0.6, 0.6, 0.6), (0.9, 1.0, 0.6)],  # (CC, LCC_root_0.4, LCC_root_0.95); mean 0.75, 0.8, 0.6
        "k": [(0.1, 0.2, 0.0), (0.1, 0.2, 0.0)],
        "both": [(0.95, 1.0, 1.0), (0.95, 1.0, 1.0)],
    }
    rows = []
    for pair, reps in samples.items():
        for rep, (cc, l4, l95) in enumerate(reps, start=1):
            feats = {**budget, "CC": cc, "LCC_root_0.4": l4, "LCC_root_0.95": l95}
            guide = l4 > 0.7 and l95 >= 0.5
            decisions: dict[str, bool | None] = {"guideline": guide, "guideline-code": guide, "toal-cc": cc >= 0.7}
            decisions.update({"toal-cc-0.9": cc >= 0.9, "always": True, "never": False})
            k = 0.8 + 0.01 * rep
            ck = {"ck": k + 0.1, "k": k - 0.1, "both": k}[pair]
            for model, corr in (("kriging", k), ("cokriging", ck)):
                rows.append(Row(pair, 2, 4, 1, rep, rep, model, corr, 0.1, 0.0, feats, decisions))
    return rows


def test_per_instance_decisions_use_the_mean_features() -> None:
    dp = load_benchmark("detector_protocol")
    instances = group(_rows())
    assert {i.pair: i.label_class() for i in instances} == {"ck": "cokriging", "k": "kriging", "both": "both"}
    acc = dp.per_instance(instances)
    # the misleading first sample of "ck" costs the per-case scores; its mean features do not mislead
    assert acc["guideline"] == (1.0, pytest.approx(1.0)) and acc["toal-cc"] == (1.0, pytest.approx(1.0))
    # CC's mean 0.75 < 0.9: Toal's conservative rule ignores the source on "ck"
    assert acc["toal-cc-0.9"][0] == pytest.approx(2 / 3) and acc["toal-cc-0.9"][1] == pytest.approx(0.382 + 0.228)
    assert acc["always"][1] == pytest.approx(0.390 + 0.228) and acc["never"][1] == pytest.approx(0.382 + 0.228)
    sets = dp.rule_sets(instances)
    assert sets["1"]["instances"] == 1 and sets["1"]["kriging_good"] == 1.0 and sets["1"]["cokriging_good"] == 0.0
    assert sets["2"]["instances"] == 2 and sets["2"]["cokriging_good"] == 1.0
    assert sets["2"]["kriging_good_mix"] == pytest.approx(0.228 / (0.390 + 0.228))


def test_no_mix_estimate_without_every_class_the_mix_weighs() -> None:
    dp = load_benchmark("detector_protocol")
    instances = [i for i in group(_rows()) if i.pair != "both"]
    assert all(math.isnan(w) for w in dp.instance_weights(instances))
    raw, mix = dp.per_instance(instances)["always"]
    assert raw == 0.5 and math.isnan(mix)


def test_script_prints_both_protocols(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dp = load_benchmark("detector_protocol")
    db = tmp_path / "r.sqlite"
    with ResultsStore(db) as store:
        store.add(_rows())
    dp.main([str(db)])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "3 labelled instances (3 pairs), labels 'paper'"
    # per case 5 of 6 right (the misleading sample; at the mix 0.382 + 0.390 / 2 + 0.228), per instance 3 of 3
    assert lines[2].split() == ["guideline", "83.3", "%", "80.5", "%", "100.0", "%", "100.0", "%"]
    assert "guideline per instance, set 2 (2 instances): Co-Kriging good 100.0 %" in "\n".join(lines)
