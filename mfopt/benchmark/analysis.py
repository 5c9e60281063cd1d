"""Scoring detectors against the study's labels.

Rows are grouped into instances (pair, n_h, n_l); the two compared models (Kriging, the model that
ignores the cheap source, and Co-Kriging, the one that uses it) are paired by repetition and
labelled per instance (:mod:`mfopt.benchmark.labels`). A detector is judged on every **case**, an
(instance, repetition): the decision it took on that repetition's sample picks a model, and the
case is correct when the instance's label calls that model good. So:

- ``accuracy`` = correct cases / decided cases (the paper's "fraction of instances where the
  chosen model is good", with each repetition's sample standing for one practitioner's sample);
- ``coverage`` = decided cases / all cases (a detector that fails on a sample decides nothing);
- confusion counts: use the source & Co-Kriging good / bad, ignore it & Kriging good / bad.

Detectors come from the stored decisions, plus any :class:`~mfopt.benchmark.linear_model.LinearDetector`
JSON file applied to the stored features (to score a newly trained detector on old results).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mfopt.benchmark.labels import Label, label
from mfopt.benchmark.linear_model import LinearDetector
from mfopt.benchmark.results import Row

IGNORE, USE = "kriging", "cokriging"


@dataclass
class InstanceResult:
    """One instance's paired repetitions: correlations per model, features and decisions per repetition."""

    pair: str
    n_high: int
    n_low: int
    dim: int
    reps: list[int] = field(default_factory=list)
    correlations: dict[str, list[float]] = field(default_factory=dict)
    features: list[dict[str, float]] = field(default_factory=list)
    decisions: list[dict[str, bool | None]] = field(default_factory=list)
    label: Label | None = None
    rules: list[dict[str, str]] = field(default_factory=list)

    def mean_features(self) -> dict[str, float]:
        """Each feature averaged over the repetitions (NaNs ignored; NaN when all are)."""
        keys = sorted({k for f in self.features for k in f})
        out = {}
        for k in keys:
            values = np.array([f.get(k, math.nan) for f in self.features], dtype=np.float64)
            out[k] = float(np.nanmean(values)) if np.isfinite(values).any() else math.nan
        return out

    def label_class(self) -> str:
        """``kriging``, ``cokriging`` (only that one good), ``both``, ``neither`` or ``none`` (unlabelled)."""
        if self.label is None:
            return "none"
        return {(True, True): "both", (True, False): IGNORE, (False, True): USE, (False, False): "neither"}[
            (self.label.a_good, self.label.b_good)
        ]


def group(
    rows: Iterable[Row], labelling: str = "paper", models: tuple[str, str] = (IGNORE, USE)
) -> list[InstanceResult]:
    """Instances with both ``models`` stored for the same repetitions, labelled with ``labelling``."""
    by_key: dict[tuple[str, int, int], dict[int, dict[str, Row]]] = {}
    for row in rows:
        if row.model in models:
            by_key.setdefault((row.pair, row.n_high, row.n_low), {}).setdefault(row.rep, {})[row.model] = row
    out = []
    for (pair, nh, nl), reps in by_key.items():
        complete = sorted(r for r, m in reps.items() if all(name in m for name in models))
        if not complete:
            continue
        first = reps[complete[0]][models[0]]
        inst = InstanceResult(pair, nh, nl, first.dim, complete)
        for name in models:
            inst.correlations[name] = [reps[r][name].correlation for r in complete]
        inst.features = [reps[r][models[0]].features for r in complete]
        inst.decisions = [reps[r][models[0]].decisions for r in complete]
        inst.rules = [reps[r][models[0]].rules for r in complete]
        inst.label = label(inst.correlations[models[0]], inst.correlations[models[1]], labelling)
        out.append(inst)
    return out


@dataclass
class DetectorScore:
    """A detector's accuracy, coverage and confusion counts over the labelled cases."""

    name: str
    cases: int = 0
    decided: int = 0
    correct: int = 0
    use_good: int = 0
    use_bad: int = 0
    ignore_good: int = 0
    ignore_bad: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.decided if self.decided else math.nan

    @property
    def coverage(self) -> float:
        return self.decided / self.cases if self.cases else math.nan

    def add(self, use_low: bool | None, lab: Label) -> None:
        self.cases += 1
        if use_low is None:
            return
        self.decided += 1
        good = lab.b_good if use_low else lab.a_good
        self.correct += good
        if use_low:
            self.use_good += good
            self.use_bad += not good
        else:
            self.ignore_good += good
            self.ignore_bad += not good

    def as_dict(self) -> dict[str, Any]:
        return {
            "detector": self.name,
            "accuracy": self.accuracy,
            "coverage": self.coverage,
            "cases": self.cases,
            "use_low_and_cokriging_good": self.use_good,
            "use_low_and_cokriging_bad": self.use_bad,
            "ignore_low_and_kriging_good": self.ignore_good,
            "ignore_low_and_kriging_bad": self.ignore_bad,
        }


def score_detectors(
    instances: Sequence[InstanceResult], extra: Mapping[str, LinearDetector] | None = None
) -> list[DetectorScore]:
    """Scores of every stored detector (and of each ``extra`` detector applied to the stored features,
    deferring to its fallback's stored decision inside its deferral band)."""
    names = sorted({k for inst in instances for d in inst.decisions for k in d})
    scores = {n: DetectorScore(n) for n in names}
    for label_name in extra or {}:
        scores[label_name] = DetectorScore(label_name)
    for inst in instances:
        if inst.label is None:
            continue
        for rep_index, decisions in enumerate(inst.decisions):
            for n in names:
                scores[n].add(decisions.get(n), inst.label)
            for label_name, model in (extra or {}).items():
                fallback = decisions.get(model.fallback)
                scores[label_name].add(model.use_low(inst.features[rep_index], fallback), inst.label)
    return list(scores.values())


#: Detectors whose stored rule ids are tallied by :func:`rule_scores` (rule ids ``1a`` .. ``3b``).
RULE_DETECTORS = ("guideline", "guideline-evidence", "guideline-code")


def rule_id(rule: str) -> str:
    """``"guideline.1c: LCC_0.4 <= 0.7"`` -> ``"1c"``."""
    return rule.split(":", 1)[0].rsplit(".", 1)[-1].strip()


@dataclass
class RuleScore:
    """Cases where one rule (``1c``) or rule set (``1``) of a detector decided, and how the models did there."""

    detector: str
    rule: str
    verdicts: set[bool | None] = field(default_factory=set)
    cases: int = 0
    kriging_good: int = 0
    cokriging_good: int = 0

    def as_dict(self) -> dict[str, Any]:
        share = (lambda k: k / self.cases) if self.cases else (lambda k: math.nan)
        one = next(iter(self.verdicts)) if len(self.verdicts) == 1 else None
        return {
            "detector": self.detector,
            "rule": self.rule,
            "chooses": None if one is None else (USE if one else IGNORE),
            "cases": self.cases,
            "kriging_good": share(self.kriging_good),
            "cokriging_good": share(self.cokriging_good),
        }


def rule_scores(instances: Sequence[InstanceResult], detectors: Sequence[str] = RULE_DETECTORS) -> list[RuleScore]:
    """Per detector, per rule set (``1``, ``2``, ``3``: the paper's three groups) and per rule: the
    labelled cases where it decided, and the share where Kriging / Co-Kriging is good (the paper
    reports Kriging good on 87.8 % of its rule-1 instances, Co-Kriging on 81.6 % of rule-2 ones)."""
    scores: dict[tuple[str, str], RuleScore] = {}
    for inst in instances:
        if inst.label is None:
            continue
        for rules, decisions in zip(inst.rules, inst.decisions, strict=True):
            for det in detectors:
                if det not in rules:
                    continue
                rid = rule_id(rules[det])
                for key in (rid[:1], rid):
                    score = scores.setdefault((det, key), RuleScore(det, key))
                    score.verdicts.add(decisions.get(det))
                    score.cases += 1
                    score.kriging_good += inst.label.a_good
                    score.cokriging_good += inst.label.b_good
    return [scores[k] for k in sorted(scores)]


def label_counts(instances: Sequence[InstanceResult]) -> dict[str, int]:
    """How many instances fall in each label class (see :meth:`InstanceResult.label_class`)."""
    counts = dict.fromkeys((IGNORE, USE, "both", "neither", "none"), 0)
    for inst in instances:
        counts[inst.label_class()] += 1
    return counts


def summary(instances: Sequence[InstanceResult], scores: Sequence[DetectorScore], labelling: str) -> dict[str, Any]:
    """A JSON-ready summary: labelling, instances, pairs, label counts, each model's good share, detectors,
    and the per-rule tallies of the rule-based detectors (:func:`rule_scores`)."""
    labels = [i.label for i in instances if i.label is not None]
    return {
        "labelling": labelling,
        "instances": len(instances),
        "labelled_instances": len(labels),
        "pairs": len({i.pair for i in instances}),
        "label_counts": label_counts(instances),
        "kriging_good_share": float(np.mean([lab.a_good for lab in labels])) if labels else math.nan,
        "cokriging_good_share": float(np.mean([lab.b_good for lab in labels])) if labels else math.nan,
        "detectors": [s.as_dict() for s in scores],
        "rules": [r.as_dict() for r in rule_scores(instances)],
    }
