"""Training the ``learned`` detector: logistic regression on sample features, grouped cross-validation.

Training cases are the (instance, repetition) samples of instances where exactly one model is
good: target 1 when only Co-Kriging is good (use the cheap source), 0 when only Kriging is. Cases
of instances where both or neither are good cannot change a detector's accuracy and are left out
of the fit, but every labelled case counts when scoring. The model is scikit-learn's
``LogisticRegression(C=0.1)`` on :data:`FEATURES` after median imputation and standardisation,
each function pair weighing the same in the fit (a pair's cases share the weight ``1 / cases of
the pair``, so each pair's total weight is 1 and ``C`` acts per pair: pairs run at many budgets
would otherwise decide the fit). Where its probability lies
inside :data:`DEFER` the detector is not confident and defers to the guideline's decision on the
same sample (:class:`~mfopt.benchmark.linear_model.LinearDetector`): it overrides the paper's rules
only where it is confident.

Cross-validation is grouped by function pair (``GroupKFold``, up to 5 folds): no pair's samples
are in both the training and the test fold, so the reported accuracy is on pairs the model has
not seen. The same folds also score the model without deferral (``learned_alone``), the
guideline's stored decisions and the two constant choices (always / never use the source).

The settings (C, pair weights, the band) were chosen by this grouped CV on the pooled results of
2026-11-27 (163 instances, 63 pairs; docs/study.md): the plain fit (C = 1, case weights, no band)
scored 77.2 % there against the guideline's 81.5 %.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mfopt.benchmark.analysis import DetectorScore, InstanceResult
from mfopt.benchmark.linear_model import LinearDetector, feature_value

#: Inputs of the learned detector: budgets, correlations, local correlations, linear fit of f_h - f_l.
FEATURES: tuple[str, ...] = (
    "log1p:B_h_r", "B_r", "log1p:d", "CC", "log1p:RRMSE",
    "LCC_root_0.4", "LCC_root_0.95", "LCC_root_mean", "LCC_root_sd", "LCC_0.2_mean", "LCC_0.2_sd",
    "R2_L",
)  # fmt: skip
C_REGULARISATION = 0.1
#: The probability band inside which the learned detector takes the guideline's decision.
DEFER = (0.3, 0.7)
FALLBACK = "guideline"


@dataclass
class Cases:
    """Feature matrix (NaN kept), fit targets (-1 = not used in the fit), groups and labels per case."""

    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    instances: list[InstanceResult]
    rep_index: list[int]

    def raw(self, i: int) -> dict[str, float]:
        """The stored features of case ``i``."""
        return self.instances[i].features[self.rep_index[i]]

    def decision(self, i: int, detector: str) -> bool | None:
        """The stored decision of ``detector`` on case ``i`` (None when absent or failed)."""
        return self.instances[i].decisions[self.rep_index[i]].get(detector)


def cases(instances: Sequence[InstanceResult], features: Sequence[str] = FEATURES) -> Cases:
    """Every labelled (instance, repetition) case."""
    rows, ys, groups, owners, reps = [], [], [], [], []
    for inst in instances:
        if inst.label is None:
            continue
        target = {(False, True): 1, (True, False): 0}.get((inst.label.a_good, inst.label.b_good), -1)
        for i, feats in enumerate(inst.features):
            rows.append([feature_value(feats, f) for f in features])
            ys.append(target)
            groups.append(inst.pair)
            owners.append(inst)
            reps.append(i)
    X = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(features))
    return Cases(X, np.asarray(ys, dtype=int), np.asarray(groups), owners, reps)


def pair_weights(groups: np.ndarray) -> np.ndarray:
    """``1 / (cases of the pair)`` per case: every function pair weighs the same in the fit."""
    _, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    return 1.0 / counts[inverse]


def fit(X: np.ndarray, y: np.ndarray, groups: np.ndarray, features: Sequence[str] = FEATURES) -> LinearDetector:
    """Fit on the cases with a target (``y >= 0``), pairs (``groups``) weighted equally; NaN
    features imputed with the training medians."""
    from sklearn.linear_model import LogisticRegression

    keep = y >= 0
    X, y, groups = X[keep], y[keep], groups[keep]
    if len(np.unique(y)) < 2:
        raise ValueError("training needs instances where only Kriging and instances where only Co-Kriging is good")
    impute = np.array([np.nanmedian(c) if np.isfinite(c).any() else 0.0 for c in X.T])
    Xf = np.where(np.isfinite(X), X, impute)
    mean, scale = Xf.mean(axis=0), Xf.std(axis=0)
    scale = np.where(scale > 1e-12, scale, 1.0)
    weights = pair_weights(groups)
    model = LogisticRegression(C=C_REGULARISATION, max_iter=5000)
    model.fit((Xf - mean) / scale, y, sample_weight=weights)
    return LinearDetector(
        list(features),
        impute.tolist(),
        mean.tolist(),
        scale.tolist(),
        model.coef_[0].tolist(),
        float(model.intercept_[0]),
        defer=list(DEFER),
        fallback=FALLBACK,
    )


def _score(name: str, data: Cases, idx: np.ndarray, decide: Any) -> DetectorScore:
    score = DetectorScore(name)
    for i in idx:
        inst = data.instances[i]
        assert inst.label is not None
        score.add(decide(i), inst.label)
    return score


def grouped_cv(data: Cases, folds: int = 5, features: Sequence[str] = FEATURES) -> dict[str, Any]:
    """Accuracy of fresh fits on held-out pairs (with and without deferral), and of the stored
    guideline decisions and the constant choices on the same cases."""
    from sklearn.model_selection import GroupKFold

    n_groups = len(np.unique(data.groups))
    k = min(folds, n_groups)
    if k < 2:
        raise ValueError(f"grouped cross-validation needs at least 2 function pairs, got {n_groups}")
    learned, alone, guideline = DetectorScore("learned"), DetectorScore("learned_alone"), DetectorScore("guideline")
    always, never = DetectorScore("always"), DetectorScore("never")
    skipped = 0
    for train, test in GroupKFold(n_splits=k).split(data.X, data.y, data.groups):
        try:
            model = fit(data.X[train], data.y[train], data.groups[train], features)
        except ValueError:
            skipped += 1
            continue
        fold = _score("learned", data, test, lambda i, m=model: m.use_low(data.raw(i), data.decision(i, m.fallback)))
        solo = _score("learned_alone", data, test, lambda i, m=model: m.use_low(data.raw(i)))
        ref = _score("guideline", data, test, lambda i: data.decision(i, "guideline"))
        use = _score("always", data, test, lambda i: True)
        ignore = _score("never", data, test, lambda i: False)
        for total, part in ((learned, fold), (alone, solo), (guideline, ref), (always, use), (never, ignore)):
            for attr in ("cases", "decided", "correct", "use_good", "use_bad", "ignore_good", "ignore_bad"):
                setattr(total, attr, getattr(total, attr) + getattr(part, attr))
    return {
        "folds": k,
        "folds_skipped": skipped,
        "grouped_by": "function pair",
        "learned_accuracy": learned.accuracy,
        "learned_alone_accuracy": alone.accuracy,
        "guideline_accuracy": guideline.accuracy,
        "always_accuracy": always.accuracy,
        "never_accuracy": never.accuracy,
        "cases_scored": learned.cases,
        "learned": learned.as_dict(),
        "guideline": guideline.as_dict(),
    }


def train(instances: Sequence[InstanceResult], labelling: str, folds: int = 5) -> LinearDetector:
    """Grouped CV, then the final fit on every case; both recorded in the returned detector."""
    data = cases(instances)
    if len(data.y) == 0:
        raise ValueError("no labelled instance in the results")
    cv = grouped_cv(data, folds)
    model = fit(data.X, data.y, data.groups)
    labelled = {id(i) for i in data.instances}
    model.trained_on = {
        "labelling": labelling,
        "instances": len(labelled),
        "pairs": len(np.unique(data.groups)),
        "cases": len(data.y),
        "fit_cases": int((data.y >= 0).sum()),
        "C": C_REGULARISATION,
        "weights": "equal per function pair",
    }
    model.cv = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in cv.items()}
    return model
