"""The ``learned`` detector: a logistic regression on the sample features, trained by
``mfopt benchmark train-detector`` and stored as plain JSON (:mod:`mfopt.benchmark.linear_model`).

``[detector] name = "learned"`` uses the model shipped with this package (``learned_model.json``,
trained on the study results named in its ``trained_on`` field); ``path = "detector.json"`` loads
another. The features are this package's sample features (:mod:`mfopt_detectors.features`), so
the detector sees exactly what the rule-based ones see. NaN features are replaced by the training
medians stored in the file. Where the model's probability lies inside the file's ``defer`` band,
the decision is its ``fallback`` rule set's (``guideline``, ``guideline-evidence`` or
``guideline-code``) on the same sample, and the reason says so.
"""

from __future__ import annotations

from pathlib import Path

from mfopt import Dataset, Decision, HarmDetector
from mfopt.benchmark.linear_model import LinearDetector
from mfopt_detectors.features import compute_features
from mfopt_detectors.rules import GUIDELINE, GUIDELINE_CODE, GUIDELINE_EVIDENCE, RuleSet, describe, fmt
from mfopt_detectors.sample import two_fidelities

SHIPPED = Path(__file__).with_name("learned_model.json")
#: The rule sets a model file may name as its ``fallback``.
FALLBACKS: dict[str, RuleSet] = {
    "guideline": GUIDELINE, "guideline-evidence": GUIDELINE_EVIDENCE, "guideline-code": GUIDELINE_CODE
}  # fmt: skip


class LearnedDetector(HarmDetector):
    """Use the source iff the model's probability that Co-Kriging helps reaches its threshold."""

    name = "learned"

    def __init__(self, model: LinearDetector, path: Path) -> None:
        if model.defer and model.fallback not in FALLBACKS:
            raise ValueError(f"{path}: fallback must be one of {sorted(FALLBACKS)}, got {model.fallback!r}")
        self.model = model
        self.path = path

    def assess(self, data: Dataset) -> Decision:
        source, target = two_fidelities(data)
        features = compute_features(data)
        p = self.model.probability(features)
        if self.model.defers(p):
            rule_set = FALLBACKS[self.model.fallback]
            fallback, use = rule_set.decide(features)
            lo, hi = self.model.defer
            reason = (
                f"The learned model ({self.path.name}) gives P(source helps) = {fmt(p)}, inside its band "
                f"({fmt(lo)}, {fmt(hi)}) where it defers to {self.model.fallback}: "
                f"{describe(fallback, use, features, source)}"
            )
            label = f"learned: P = {fmt(p)} deferred -> {rule_set.prefix}.{fallback.id}"
            return Decision(use, features, label, reason, source, target, self.name)
        use = p >= self.model.threshold
        parts = self.model.contributions(features)
        top = max(parts, key=lambda k: abs(parts[k]))
        verdict = "used (Co-Kriging)" if use else "ignored (Kriging)"
        op = ">=" if use else "<"
        reason = (
            f"The learned model ({self.path.name}) gives P(source helps) = {fmt(p)} {op} {fmt(self.model.threshold)}; "
            f"the largest term is {top} ({parts[top]:+.3g} in the logit), so the cheap source {source!r} is {verdict}."
        )
        rule = f"learned: P = {fmt(p)} {op} {fmt(self.model.threshold)}"
        return Decision(use, features, rule, reason, source, target, self.name)


def learned(path: str | None = None) -> LearnedDetector:
    """Factory of ``learned``: ``path`` of a detector JSON (default: the model shipped with mfopt)."""
    where = Path(path) if path is not None else SHIPPED
    return LearnedDetector(LinearDetector.load(where), where)
