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
from mfopt.benchmark.train import FEATURES, train
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
    instances = _synthetic()
    model = train(instances, "paper", folds=4)
    assert model.trained_on == {
        "labelling": "paper", "instances": 48, "pairs": 8, "cases": 240, "fit_cases": 240, "C": 1.0
    }  # fmt: skip
    assert model.cv["folds"] == 4 and model.cv["cases_scored"] == 240
    assert model.cv["learned_accuracy"] > 0.9
    truth = np.mean([i.label is CK_ONLY for i in instances])
    assert model.cv["guideline_accuracy"] == pytest.approx(truth)  # it always said "use"
    assert model.features == list(FEATURES)
    lcc = FEATURES.index("LCC_root_0.95")
    assert model.coef[lcc] == max(model.coef)  # the informative feature carries the decision


def test_json_round_trip_and_scoring_from_stored_features(tmp_path: Path) -> None:
    instances = _synthetic()
    model = train(instances, "paper", folds=4)
    path = tmp_path / "detector.json"
    path.write_text(model.to_json())
    data = json.loads(path.read_text())
    assert data["format"] == "mfopt-linear-detector/1" and "pickle" not in path.read_text()
    again = LinearDetector.load(path)
    assert again == model
    scores = {s.name: s for s in score_detectors(instances, {"file": again})}
    assert scores["never"].correct == 5 * sum(i.label is K_ONLY for i in instances)
    assert scores["file"].accuracy > 0.9 and scores["file"].coverage == 1.0
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
