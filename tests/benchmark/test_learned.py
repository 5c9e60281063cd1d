"""Training the learned detector (grouped CV, plain JSON) and loading it through the ``learned`` plugin."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from mfopt.benchmark.analysis import InstanceResult, score_detectors
from mfopt.benchmark.labels import Label
from mfopt.benchmark.linear_model import LinearDetector
from mfopt.benchmark.train import FEATURES, cases, choose, pair_weights, train
from mfopt.data import Dataset, Fidelity, Observation
from mfopt.errors import ConfigError
from mfopt.plugin.manager import get_plugin_manager

K_ONLY, CK_ONLY = Label(True, False, 0.9, 0.01), Label(False, True, 0.01, 0.9)


def _synthetic(n_pairs: int = 8, seed: int = 0) -> list[InstanceResult]:
    """Instances whose label follows LCC_root_0.95 (> 0.5: only Co-Kriging good), 5 repetitions each."""
    rng = np.random.default_rng(seed)
    out = []
    for p in range(n_pairs):
        for b in range(6):
            lcc = rng.uniform()
            inst = InstanceResult(f"pair{p}", 2 * (b + 1), 24, 2, reps=list(range(1, 6)))
            inst.features = [
                {"LCC_root_0.95": float(np.clip(lcc + rng.normal(0, 0.03), 0, 1)), "B_h_r": b + 1.0, "CC": math.nan}
                for _ in range(5)
            ]
            inst.decisions = [{"guideline": True, "never": False} for _ in range(5)]
            inst.label = CK_ONLY if lcc > 0.5 else K_ONLY
            out.append(inst)
    return out


def test_grouped_cv_learns_a_separable_rule_and_reports_the_guideline() -> None:
    # 40 pairs: C acts per pair (each pair's cases weigh 1 in all), so a handful of pairs is shrunk to the prior
    instances = _synthetic(n_pairs=40)
    model = train(instances, "paper", folds=4)
    chosen = choose(cases(instances), np.arange(1200), folds=4)  # the written model's settings
    assert model.trained_on == {
        "labelling": "paper", "instances": 240, "pairs": 40, "cases": 1200, "fit_cases": 1200, "C": chosen.C,
        "weights": f"equal per {'function pair' if chosen.weights == 'pair' else 'case'}",
        "settings": chosen.describe(), "label_mix": "sample",
    }  # fmt: skip
    assert model.defer == list(chosen.defer) and model.fallback == "guideline"
    assert chosen.defer == ()  # deferring to a guideline that always says "use" only costs here: no band
    assert model.cv["folds"] == 4 and model.cv["cases_scored"] == 1200
    assert model.cv["learned_alone_accuracy"] > 0.88
    # the guideline always says "use" here: deferring to it where P is near 0.5 costs accuracy
    assert model.cv["guideline_accuracy"] + 0.05 < model.cv["learned_accuracy"] < model.cv["learned_alone_accuracy"]
    truth = np.mean([i.label is CK_ONLY for i in instances])
    assert model.cv["guideline_accuracy"] == pytest.approx(truth)  # it always said "use"
    assert model.features == list(FEATURES)
    lcc = FEATURES.index("LCC_root_0.95")
    assert model.coef[lcc] == max(model.coef)  # the informative feature carries the decision


def test_json_round_trip_and_scoring_from_stored_features(tmp_path: Path) -> None:
    instances = _synthetic(n_pairs=40)
    model = train(instances, "paper", folds=4)
    path = tmp_path / "detector.json"
    path.write_text(model.to_json())
    data = json.loads(path.read_text())
    assert data["format"] == "mfopt-linear-detector/1" and "pickle" not in path.read_text()
    again = LinearDetector.load(path)
    assert again == model
    scores = {s.name: s for s in score_detectors(instances, {"file": again})}
    assert scores["never"].correct == 5 * sum(i.label is K_ONLY for i in instances)
    assert scores["file"].accuracy > scores["guideline"].accuracy + 0.05 and scores["file"].coverage == 1.0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**data, "coef": data["coef"][:-1]}))
    with pytest.raises(ValueError, match="coef has"):
        LinearDetector.load(bad)


def _dataset() -> Dataset:
    x = torch.linspace(0, 1, 12, dtype=torch.float64)
    high = (6 * x - 2) ** 2 * torch.sin(12 * x - 4)
    obs = [Observation((float(v),), "low", float(0.5 * h + 10 * (v - 0.5) - 5)) for v, h in zip(x, high, strict=True)]
    obs += [Observation((float(v),), "high", float(h)) for v, h in list(zip(x, high, strict=True))[::2]]
    return Dataset(
        torch.tensor([[0.0], [1.0]], dtype=torch.float64), (Fidelity("low", 0.5), Fidelity("high", 1.0)), obs
    )


def test_learned_plugin_loads_the_shipped_model_and_a_given_file(tmp_path: Path) -> None:
    pm = get_plugin_manager()
    shipped = pm.detectors.create("learned")
    decision = shipped.assess(_dataset())
    assert decision.detector == "learned" and decision.rule.startswith("learned: P = ")
    assert decision.use_low == shipped.model.use_low(decision.features)
    model = train(_synthetic(), "paper", folds=4)
    model.intercept, model.coef = 50.0, [0.0] * len(model.coef)  # a model that always says "use"
    path = tmp_path / "always.json"
    path.write_text(model.to_json())
    custom = pm.detectors.create("learned", path=str(path)).assess(_dataset())
    assert custom.use_low is True and "always.json" in custom.reason
    with pytest.raises(ConfigError, match="cannot read detector file"):
        pm.detectors.create("learned", path=str(tmp_path / "missing.json"))


def test_pairs_weigh_the_same_in_the_fit() -> None:
    groups = np.array(["a", "a", "a", "b", "c", "c"])
    w = pair_weights(groups)
    assert w.tolist() == pytest.approx([1 / 3, 1 / 3, 1 / 3, 1.0, 0.5, 0.5])
    assert {g: w[groups == g].sum() for g in "abc"} == pytest.approx({"a": 1.0, "b": 1.0, "c": 1.0})


def _one_feature_model(defer: list[float]) -> LinearDetector:
    """P(use) = sigmoid(CC): 0.5 at CC = 0, 0.73 at CC = 1, 0.27 at CC = -1."""
    return LinearDetector(["CC"], [0.0], [0.0], [1.0], [1.0], 0.0, defer=defer)


def test_inside_the_band_the_fallback_decides_outside_the_model() -> None:
    model = _one_feature_model([0.3, 0.7])
    assert model.use_low({"CC": 0.1}, fallback=False) is False  # P = 0.52: deferred
    assert model.use_low({"CC": -0.1}, fallback=True) is True  # P = 0.48: deferred
    assert model.use_low({"CC": 0.1}) is True  # no fallback decision: the threshold
    assert model.use_low({"CC": 1.0}, fallback=False) is True  # P = 0.73: confident
    assert model.use_low({"CC": -1.0}, fallback=True) is False  # P = 0.27: confident
    assert _one_feature_model([]).use_low({"CC": 0.1}, fallback=False) is True  # no band: never defers
    with pytest.raises(ValueError, match="defer must be"):
        _one_feature_model([0.6, 0.7])  # the threshold 0.5 outside the band
    inst = InstanceResult("p", 2, 4, 1, reps=[1, 2])
    inst.features = [{"CC": 0.1}, {"CC": 2.0}]
    inst.decisions = [{"guideline": False}, {"guideline": False}]
    inst.label = K_ONLY
    scores = {s.name: s for s in score_detectors([inst], {"file": model})}
    # case 1 deferred to the stored guideline (ignore: Kriging good), case 2 confident (use: Co-Kriging bad)
    assert (scores["file"].ignore_good, scores["file"].use_bad) == (1, 1)


def test_the_plugin_defers_to_the_guideline_inside_the_band(tmp_path: Path) -> None:
    pm = get_plugin_manager()
    data = _dataset()
    guide = pm.detectors.create("guideline").assess(data)
    model = train(_synthetic(), "paper", folds=4)
    model.defer = [0.0, 1.0]  # always inside: the guideline decides every sample
    path = tmp_path / "deferring.json"
    path.write_text(model.to_json())
    decision = pm.detectors.create("learned", path=str(path)).assess(data)
    assert decision.use_low == guide.use_low
    assert decision.rule.endswith("deferred -> " + guide.rule.split(":")[0])
    assert "defers to guideline" in decision.reason
    path.write_text(model.to_json().replace('"fallback": "guideline"', '"fallback": "toal-cc"'))
    with pytest.raises(ConfigError, match="fallback must be one of"):
        pm.detectors.create("learned", path=str(path))


def test_nested_cv_chooses_settings_on_the_training_pairs_only() -> None:
    from mfopt.benchmark.train import GRID, Setting, cases, choose, nested_cv

    data = cases(_synthetic(n_pairs=20))
    nested = nested_cv(data, folds=4)
    assert nested["folds"] == 4 and nested["grid"] == len(GRID) and len(nested["chosen"]) == 4
    assert nested["cases_scored"] == 600
    # the label follows one feature and the guideline always says "use": learning beats it on unseen pairs
    assert nested["learned_accuracy"] > nested["guideline_accuracy"] + 0.05
    assert all(c in {s.describe() for s in GRID} for c in nested["chosen"])
    # the choice sees only the given cases: scrambling every other pair's labels does not move it
    train = np.flatnonzero(np.isin(data.groups, [f"pair{p}" for p in range(10)]))
    before = choose(data, train, folds=3)
    for i in np.flatnonzero(~np.isin(np.arange(len(data.y)), train)):
        lab = data.instances[i].label
        data.instances[i].label = K_ONLY if lab is CK_ONLY else CK_ONLY
    assert choose(data, train, folds=3) == before
    assert isinstance(before, Setting)


def test_train_records_the_nested_cv() -> None:
    model = train(_synthetic(n_pairs=12), "paper", folds=3)
    nested = model.cv["nested"]
    assert nested["folds"] == 3 and 0.5 < nested["learned_accuracy"] <= 1.0
    assert json.loads(model.to_json())["cv"]["nested"]["chosen"] == nested["chosen"]


def test_a_label_mix_weighs_each_class_in_the_fit_and_the_scores() -> None:
    from mfopt.benchmark.label_mix import PAPER_MIX
    from mfopt.benchmark.train import fit, nested_cv

    instances = _synthetic(n_pairs=12)
    plain, mixed = cases(instances), cases(instances, mix=PAPER_MIX)
    assert np.all(plain.w == 1.0)
    k_share = np.mean([i.label is K_ONLY for i in plain.instances])
    # only-K cases weigh 0.382 / their share, only-CK 0.390 / theirs (no both-good case here)
    k_cases = np.array([i.label is K_ONLY for i in mixed.instances])
    assert np.allclose(mixed.w[k_cases], 0.382 / k_share) and np.allclose(mixed.w[~k_cases], 0.390 / (1 - k_share))
    # weighting the only-K cases up moves the fitted intercept towards "ignore"
    up = np.where(k_cases, 5.0, 1.0)
    assert (
        fit(plain.X, plain.y, plain.groups, case_weights=up).intercept < fit(plain.X, plain.y, plain.groups).intercept
    )
    nested = nested_cv(mixed, folds=3)
    # always-use is right on the only-CK cases: their weight's share of the classes present
    assert nested["always_mix_accuracy"] == pytest.approx(0.390 / (0.382 + 0.390))
    assert nested["never_mix_accuracy"] == pytest.approx(0.382 / (0.382 + 0.390))
    assert nested["learned_mix_accuracy"] > 0.9  # the label follows one feature: learnable at any mix
    assert nested_cv(plain, folds=3)["always_mix_accuracy"] == pytest.approx(1 - k_share)


def test_train_detector_mix_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mfopt.benchmark.results import ResultsStore, Row
    from mfopt.cli import main

    rows = []
    for inst in _synthetic(n_pairs=6):
        for rep, (feats, decisions) in enumerate(zip(inst.features, inst.decisions, strict=True), start=1):
            k = 0.8 + 0.01 * rep
            ck = k + (0.1 if inst.label is CK_ONLY else -0.1)
            for model, corr in (("kriging", k), ("cokriging", ck)):
                rows.append(
                    Row(inst.pair, inst.n_high, inst.n_low, 2, rep, rep, model, corr, 0.1, 0.0, feats, decisions)
                )
    db, out = tmp_path / "r.sqlite", tmp_path / "d.json"
    with ResultsStore(db) as store:
        store.add(rows)
    assert main(["benchmark", "train-detector", str(db), "--out", str(out), "--folds", "3", "--mix", "paper"]) == 0
    printed = capsys.readouterr().out
    assert "the same nested CV at the paper's label mix (fit, choice and score weighted to it): learned" in printed
    assert json.loads(out.read_text())["trained_on"]["label_mix"] == "paper"
    assert main(["benchmark", "train-detector", str(db), "--out", str(out), "--mix", "balanced"]) == 2
    assert "--mix: expected sample or paper" in capsys.readouterr().err
