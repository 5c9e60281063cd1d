"""Harm detectors: should the cheap source be fused with the target (Co-Kriging), or ignored (Kriging)?

- :class:`ToalCC`: Toal (2015), use the source iff ``CC >= threshold`` (0.7 by default, as the
  2024 paper finds best; Toal's own, conservative, 0.9 is an option).
- :class:`RuleSetDetector` with :data:`GUIDELINE` (Andrés-Thió et al. 2024, §3.4, the default;
  ``lcc="evidence"`` gives :data:`GUIDELINE_EVIDENCE`, where a neighbourhood holding only its centre
  is no evidence) or :data:`GUIDELINE_CODE` (the reference code's ``AdaptiveCoKriging`` thresholds).
- :class:`Constant`: ``always`` / ``never`` baselines.

Every comparison with a NaN feature is "not met" (see :mod:`mfopt_detectors.features`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from mfopt import Dataset, Decision, HarmDetector
from mfopt_detectors.features import budget_features, compute_features
from mfopt_detectors.rules import GUIDELINE, GUIDELINE_CODE, GUIDELINE_EVIDENCE, RuleSet, describe, fmt
from mfopt_detectors.sample import two_fidelities


class ToalCC(HarmDetector):
    """Use the source iff the squared correlation ``CC`` of the matched sample reaches ``threshold``."""

    name = "toal-cc"

    def __init__(self, threshold: float = 0.7) -> None:
        threshold = float(threshold)
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must lie in [0, 1] (CC is a squared correlation), got {threshold}")
        self.threshold = threshold

    def assess(self, data: Dataset) -> Decision:
        source, target = two_fidelities(data)
        features = compute_features(data)
        cc, n = features["CC"], int(features["n"])
        use = not math.isnan(cc) and cc >= self.threshold
        op = ">=" if use else "<"
        if math.isnan(cc):
            reason = f"CC is undefined on {n} matched point(s), so the cheap source {source!r} is ignored (Kriging)."
            rule = "toal.cc: CC undefined"
        else:
            verdict = "used (Co-Kriging)" if use else "ignored (Kriging)"
            reason = (
                f"CC = {fmt(cc)} {op} {fmt(self.threshold)} on {n} matched points, so the cheap "
                f"source {source!r} is {verdict}."
            )
            rule = f"toal.cc: CC {op} {fmt(self.threshold)}"
        return Decision(use, features, rule, reason, source, target, self.name)


class RuleSetDetector(HarmDetector):
    """Applies an ordered rule set (first rule whose condition holds decides) to the sample features."""

    def __init__(self, rules: RuleSet, name: str) -> None:
        self.rules = rules
        self.name = name

    def assess(self, data: Dataset) -> Decision:
        features = compute_features(data)
        source, target = two_fidelities(data)
        rule, use = self.rules.decide(features)
        reason = describe(rule, use, features, source)
        return Decision(
            use, features, f"{self.rules.prefix}.{rule.id}: {rule.label}", reason, source, target, self.name
        )


class Constant(HarmDetector):
    """A baseline that always (``use_low=True``) or never uses the cheap source; reports the budgets."""

    def __init__(self, use_low: bool) -> None:
        self.use_low = use_low
        self.name = "always" if use_low else "never"

    def assess(self, data: Dataset) -> Decision:
        source, target = two_fidelities(data)
        counts = data.counts()
        features: Mapping[str, float] = budget_features(counts[target], counts[source], data.dim)
        verdict = "always used (Co-Kriging)" if self.use_low else "never used (Kriging)"
        reason = f"Baseline: the cheap source {source!r} is {verdict}, whatever the sample says."
        return Decision(self.use_low, features, f"{self.name}: baseline", reason, source, target, self.name)


def toal_cc(threshold: float = 0.7) -> ToalCC:
    """Factory of ``toal-cc``: Toal's correlation rule (``threshold=0.9`` is the conservative option)."""
    return ToalCC(threshold)


#: ``lcc`` option of ``guideline``: how a neighbourhood holding only its centre counts.
LCC_READINGS = {"reference": GUIDELINE, "evidence": GUIDELINE_EVIDENCE}


def guideline(lcc: str = "reference") -> RuleSetDetector:
    """Factory of ``guideline``: the paper's three rule sets (§3.4). ``lcc="reference"``: local
    correlations as the authors' code computes them (a lone centre counts as correlated);
    ``"evidence"``: a lone centre is no evidence (``LCCn`` features)."""
    if lcc not in LCC_READINGS:
        raise ValueError(f"lcc must be one of {sorted(LCC_READINGS)}, got {lcc!r}")
    return RuleSetDetector(LCC_READINGS[lcc], "guideline")


def guideline_code() -> RuleSetDetector:
    """Factory of ``guideline-code``: the reference code's AdaptiveCoKriging thresholds."""
    return RuleSetDetector(GUIDELINE_CODE, "guideline-code")


def always() -> Constant:
    """Factory of ``always``: fuse the cheap source whatever the sample."""
    return Constant(True)


def never() -> Constant:
    """Factory of ``never``: ignore the cheap source (single-fidelity Kriging)."""
    return Constant(False)
