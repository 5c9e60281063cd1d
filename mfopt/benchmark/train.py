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

The grouped CV scores fixed settings (:data:`DEFAULT`: C, pair weights, the band, chosen on the
pooled results of 2026-11-27, 163 instances, 63 pairs; docs/study.md), so its figure is optimistic
by that choice. :func:`nested_cv` gives the honest figure: in each outer fold the settings are
chosen from :data:`GRID` by a grouped CV on that fold's training pairs alone (:func:`choose`), then
fitted there and scored on the held-out pairs. :func:`train` does the same on all the data: the
written model's settings are :func:`choose`'s on every pair, so the nested CV estimates it.

With a label mix (``mix``, e.g. :data:`~mfopt.benchmark.label_mix.PAPER_MIX`) every case also
weighs ``pi_c / share_c`` of its instance's label class (:func:`~mfopt.benchmark.label_mix.class_weights`),
in the fit, in the choice of settings and in the nested CV's ``*_mix_accuracy``: the detector is
trained and scored for a population with that mix (the paper's: about 61 % each way) instead of
the sample's own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mfopt.benchmark.analysis import DetectorScore, InstanceResult
from mfopt.benchmark.label_mix import class_weights
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
    """Feature matrix (NaN kept), fit targets (-1 = not used in the fit), groups and labels per case,
    and each case's label-mix weight ``w`` (ones: the sample's own mix)."""

    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    instances: list[InstanceResult]
    rep_index: list[int]
    w: np.ndarray

    def raw(self, i: int) -> dict[str, float]:
        """The stored features of case ``i``."""
        return self.instances[i].features[self.rep_index[i]]

    def decision(self, i: int, detector: str) -> bool | None:
        """The stored decision of ``detector`` on case ``i`` (None when absent or failed)."""
        return self.instances[i].decisions[self.rep_index[i]].get(detector)


def cases(
    instances: Sequence[InstanceResult], features: Sequence[str] = FEATURES, mix: Mapping[str, float] | None = None
) -> Cases:
    """Every labelled (instance, repetition) case; with ``mix``, weighted to that label mix."""
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
    per_class = class_weights(instances, mix) if mix is not None else {}
    w = np.array([per_class.get(inst.label_class(), 1.0) if mix is not None else 1.0 for inst in owners])
    return Cases(X, np.asarray(ys, dtype=int), np.asarray(groups), owners, reps, w)


def pair_weights(groups: np.ndarray) -> np.ndarray:
    """``1 / (cases of the pair)`` per case: every function pair weighs the same in the fit."""
    _, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    return 1.0 / counts[inverse]


@dataclass(frozen=True)
class Setting:
    """One choice of the training settings: regularisation ``C``, case weights (``"pair"``: every
    function pair weighs the same, ``"case"``: every case does) and the deferral band (``()``: never defer)."""

    C: float = C_REGULARISATION
    weights: str = "pair"
    defer: tuple[float, ...] = DEFER

    def describe(self) -> str:
        band = f"defer {self.defer[0]:g}-{self.defer[1]:g}" if self.defer else "no deferral"
        return f"C={self.C:g}, {self.weights} weights, {band}"


#: The shipped settings (chosen on the pooled results of 2026-11-27, see the module docstring).
DEFAULT = Setting()
#: The settings the nested cross-validation chooses from, inside each outer fold.
GRID: tuple[Setting, ...] = tuple(
    Setting(c, w, band)
    for c in (0.01, 0.1, 1.0)
    for w in ("pair", "case")
    for band in ((), (0.4, 0.6), (0.3, 0.7), (0.2, 0.8))
)


def fit(
    X: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    features: Sequence[str] = FEATURES,
    setting: Setting = DEFAULT,
    case_weights: np.ndarray | None = None,
) -> LinearDetector:
    """Fit on the cases with a target (``y >= 0``) with ``setting`` (default: pairs weighted
    equally, ``C = 0.1``, the band :data:`DEFER`), each case's weight also multiplied by
    ``case_weights`` (a label mix); NaN features imputed with the training medians."""
    from sklearn.linear_model import LogisticRegression

    keep = y >= 0
    extra = np.ones(len(y)) if case_weights is None else np.asarray(case_weights, dtype=np.float64)
    X, y, groups, extra = X[keep], y[keep], groups[keep], extra[keep]
    if len(np.unique(y)) < 2:
        raise ValueError("training needs instances where only Kriging and instances where only Co-Kriging is good")
    impute = np.array([np.nanmedian(c) if np.isfinite(c).any() else 0.0 for c in X.T])
    Xf = np.where(np.isfinite(X), X, impute)
    mean, scale = Xf.mean(axis=0), Xf.std(axis=0)
    scale = np.where(scale > 1e-12, scale, 1.0)
    weights = (pair_weights(groups) if setting.weights == "pair" else np.ones(len(y))) * extra
    model = LogisticRegression(C=setting.C, max_iter=5000)
    model.fit((Xf - mean) / scale, y, sample_weight=weights)
    return LinearDetector(
        list(features),
        impute.tolist(),
        mean.tolist(),
        scale.tolist(),
        model.coef_[0].tolist(),
        float(model.intercept_[0]),
        defer=list(setting.defer),
        fallback=FALLBACK,
    )


def _score(name: str, data: Cases, idx: np.ndarray, decide: Any) -> DetectorScore:
    score = DetectorScore(name)
    for i in idx:
        inst = data.instances[i]
        assert inst.label is not None
        score.add(decide(i), inst.label)
    return score


def _probabilities(model: LinearDetector, X: np.ndarray) -> np.ndarray:
    """``model.probability`` of every row of ``X`` (the :func:`cases` matrix), vectorised."""
    Xf = np.where(np.isfinite(X), X, np.asarray(model.impute))
    logit = model.intercept + ((Xf - np.asarray(model.mean)) / np.asarray(model.scale)) @ np.asarray(model.coef)
    return 1.0 / (1.0 + np.exp(-np.clip(logit, -700, 700)))


def _correct(data: Cases, idx: np.ndarray, model: LinearDetector, band: tuple[float, ...]) -> float:
    """Cases of ``idx`` the model gets right with deferral ``band`` (the fallback's stored decision
    inside it), as :meth:`LinearDetector.use_low` decides them, each counted with its weight ``data.w``."""
    p = _probabilities(model, data.X[idx])
    fallback = np.array([data.decision(i, model.fallback) for i in idx], dtype=object)
    use = p >= model.threshold
    if band:
        inside = (band[0] < p) & (p < band[1]) & np.array([f is not None for f in fallback])
        use = np.where(inside, fallback.astype(bool), use)
    labels = [data.instances[i].label for i in idx]
    good = np.array([(lab.b_good if u else lab.a_good) for lab, u in zip(labels, use, strict=True) if lab is not None])
    return float((good * data.w[idx]).sum())


def choose(data: Cases, idx: np.ndarray, folds: int, grid: Sequence[Setting] = GRID) -> Setting:
    """The setting of ``grid`` with the best grouped-CV accuracy (with deferral) on the cases ``idx``
    alone (folds by function pair, at most ``folds``); ties go to the earlier setting."""
    from sklearn.model_selection import GroupKFold

    k = min(folds, len(np.unique(data.groups[idx])))
    if k < 2:
        raise ValueError("choosing settings needs at least 2 function pairs")
    correct = dict.fromkeys(grid, 0.0)
    for train, test in GroupKFold(n_splits=k).split(idx, groups=data.groups[idx]):
        tr, te = idx[train], idx[test]
        for c, weights in dict.fromkeys((s.C, s.weights) for s in grid):
            try:
                model = fit(
                    data.X[tr], data.y[tr], data.groups[tr], setting=Setting(c, weights, ()), case_weights=data.w[tr]
                )
            except ValueError:
                continue
            for s in grid:
                if (s.C, s.weights) == (c, weights):
                    correct[s] += _correct(data, te, model, s.defer)
    return max(grid, key=lambda s: correct[s])


def nested_cv(data: Cases, folds: int = 5, grid: Sequence[Setting] = GRID) -> dict[str, Any]:
    """Grouped CV whose settings are chosen inside each outer fold (:func:`choose` on its training
    pairs only), so the held-out pairs play no part in the choice: an honest estimate of the
    accuracy on unseen pairs of "choose the settings, then fit"; with the guideline on the same cases."""
    from sklearn.model_selection import GroupKFold

    k = min(folds, len(np.unique(data.groups)))
    if k < 2:
        raise ValueError(f"nested cross-validation needs at least 2 function pairs, got {len(np.unique(data.groups))}")
    learned, guideline = DetectorScore("learned"), DetectorScore("guideline")
    weighted = dict.fromkeys(("learned", "guideline", "always", "never", "total"), 0.0)
    chosen: list[str] = []
    for train, test in GroupKFold(n_splits=k).split(data.X, data.y, data.groups):
        try:
            setting = choose(data, train, folds, grid)
            model = fit(data.X[train], data.y[train], data.groups[train], setting=setting, case_weights=data.w[train])
        except ValueError:
            continue
        chosen.append(setting.describe())
        decided = _score("learned", data, test, lambda i, m=model: m.use_low(data.raw(i), data.decision(i, m.fallback)))
        ref = _score("guideline", data, test, lambda i: data.decision(i, "guideline"))
        for i in test:
            lab, w = data.instances[i].label, data.w[i]
            assert lab is not None
            use = {
                "learned": model.use_low(data.raw(i), data.decision(i, model.fallback)),
                "guideline": data.decision(i, "guideline"),
                "always": True,
                "never": False,
            }
            for name, u in use.items():
                weighted[name] += w * bool(u is not None and (lab.b_good if u else lab.a_good))
            weighted["total"] += w
        for total, part in ((learned, decided), (guideline, ref)):
            for attr in ("cases", "decided", "correct", "use_good", "use_bad", "ignore_good", "ignore_bad"):
                setattr(total, attr, getattr(total, attr) + getattr(part, attr))
    return {
        "folds": k,
        "grid": len(grid),
        "chosen": chosen,
        "learned_accuracy": learned.accuracy,
        "guideline_accuracy": guideline.accuracy,
        "cases_scored": learned.cases,
        **{
            f"{name}_mix_accuracy": weighted[name] / weighted["total"] if weighted["total"] else math.nan
            for name in ("learned", "guideline", "always", "never")
        },
    }


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
            model = fit(data.X[train], data.y[train], data.groups[train], features, case_weights=data.w[train])
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


def train(
    instances: Sequence[InstanceResult],
    labelling: str,
    folds: int = 5,
    mix: Mapping[str, float] | None = None,
    mix_name: str = "sample",
) -> LinearDetector:
    """Grouped CV (:data:`DEFAULT` settings) and nested CV, then the final model: settings chosen
    from :data:`GRID` by a grouped CV on every pair (:func:`choose`, the procedure the nested CV
    scores) and fitted on every case; all recorded in the returned detector. With ``mix`` (named
    ``mix_name``) the cases are weighted to that label mix throughout."""
    data = cases(instances, mix=mix)
    if len(data.y) == 0:
        raise ValueError("no labelled instance in the results")
    cv = grouped_cv(data, folds)
    cv["nested"] = nested_cv(data, folds)
    setting = choose(data, np.arange(len(data.y)), folds)
    model = fit(data.X, data.y, data.groups, setting=setting, case_weights=data.w)
    labelled = {id(i) for i in data.instances}
    model.trained_on = {
        "labelling": labelling,
        "instances": len(labelled),
        "pairs": len(np.unique(data.groups)),
        "cases": len(data.y),
        "fit_cases": int((data.y >= 0).sum()),
        "C": setting.C,
        "weights": f"equal per {'function pair' if setting.weights == 'pair' else 'case'}",
        "settings": setting.describe(),
        "label_mix": mix_name,
    }
    model.cv = _finite(cv)
    return model


def _finite(value: Any) -> Any:
    """``value`` with NaN floats (an empty score) replaced by None, for JSON."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return None if isinstance(value, float) and math.isnan(value) else value
