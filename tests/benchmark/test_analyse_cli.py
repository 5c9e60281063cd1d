"""``mfopt benchmark analyse`` / ``train-detector`` on a results file with known labels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mfopt.benchmark.projection import FEATURES as PROJECTED
from mfopt.benchmark.results import ResultsStore, Row
from mfopt.cli import main


def _write(path: Path) -> None:
    """8 pairs x 3 budgets x 6 reps; Co-Kriging clearly better exactly when the pair index is even."""
    rng = np.random.default_rng(0)
    rows = []
    for p in range(8):
        for nh, nl in ((2, 4), (4, 8), (8, 16)):
            helps = p % 2 == 0
            for rep in range(1, 7):
                feats = {name: float(rng.uniform()) for name in PROJECTED}
                feats.update({"LCC_root_0.95": 0.9 if helps else 0.1, "B_h_r": float(nh), "CC": 0.5})
                decisions = {"always": True, "never": False, "oracle": helps, "guideline": helps}
                fired = {"guideline": "guideline.2a: LCC_0.95 >= 0.5" if helps else "guideline.1c: LCC_0.4 <= 0.7"}
                k = 0.8 + 0.01 * rng.normal()
                ck = k + (0.1 if helps else -0.1)
                for model, corr in (("kriging", k), ("cokriging", ck)):
                    rows.append(
                        Row(f"pair{p}", nh, nl, 1, rep, rep, model, corr, 0.1, 0.0, feats, decisions, rules=fired)
                    )
    with ResultsStore(path) as store:
        store.add(rows)


def test_analyse_prints_scores_and_writes_plots(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "r.sqlite"
    _write(db)
    assert main(["benchmark", "analyse", str(db), "--json", "--plots", str(tmp_path / "plots")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["labelled_instances"] == 24 and report["pairs"] == 8
    assert report["label_counts"] == {"kriging": 12, "cokriging": 12, "both": 0, "neither": 0, "none": 0}
    scores = {d["detector"]: d for d in report["detectors"]}
    assert scores["oracle"]["accuracy"] == 1.0 and scores["oracle"]["cases"] == 144
    assert scores["always"]["accuracy"] == scores["never"]["accuracy"] == 0.5
    assert scores["always"]["use_low_and_cokriging_bad"] == 72
    rules = {(r["detector"], r["rule"]): r for r in report["rules"]}
    assert set(rules) == {("guideline", "1"), ("guideline", "1c"), ("guideline", "2"), ("guideline", "2a")}
    assert rules["guideline", "1"]["cases"] == 72 and rules["guideline", "1"]["chooses"] == "kriging"
    assert rules["guideline", "1"]["kriging_good"] == 1.0 and rules["guideline", "1"]["cokriging_good"] == 0.0
    assert rules["guideline", "2a"]["cokriging_good"] == 1.0 and rules["guideline", "2a"]["chooses"] == "cokriging"
    for name in ("good_share.png", "instance_space.png"):
        assert (tmp_path / "plots" / name).read_bytes()[:4] == b"\x89PNG"
    assert main(["benchmark", "analyse", str(db), "--labels", "code"]) == 0
    out = capsys.readouterr().out
    assert "labels 'code'" in out and "oracle" in out and "100.0 %" in out
    assert "set 1" in out and "87.8 %" in out  # the rule table, with the paper's figures next to it


def test_train_detector_writes_json_and_reports_grouped_cv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "r.sqlite"
    _write(db)
    out = tmp_path / "detector.json"
    assert main(["benchmark", "train-detector", str(db), "--out", str(out), "--folds", "4"]) == 0
    printed = capsys.readouterr().out
    assert "trained on 24 instances of 8 pairs" in printed and "grouped 4-fold CV" in printed
    model = json.loads(out.read_text())
    assert model["cv"]["learned_accuracy"] == 1.0 and model["trained_on"]["pairs"] == 8
    assert "nested grouped 4-fold CV (settings chosen from 24 inside each outer fold" in printed
    assert len(model["cv"]["nested"]["chosen"]) == 4 and model["cv"]["nested"]["cases_scored"] > 0
    assert f"written model: settings chosen the same way on all 8 pairs: {model['trained_on']['settings']}" in printed
    assert main(["benchmark", "analyse", str(db), "--detector-file", str(out), "--json"]) == 0
    scores = {d["detector"]: d for d in json.loads(capsys.readouterr().out)["detectors"]}
    assert scores["file:detector"]["accuracy"] == 1.0
