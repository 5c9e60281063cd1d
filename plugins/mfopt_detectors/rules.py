"""Ordered gating rules on the sample features: the first rule whose condition holds decides.

:data:`GUIDELINE` is the paper's §3.4 (Andrés-Thió et al. 2024) with ``LCC = LCC^{0.2^{1/d}}``
(feature names ``LCC_root_*``); :data:`GUIDELINE_CODE` is the reference code's
``AdaptiveCoKriging`` variant (the authors' bifiEBBmethods code), read with the same radius;
:data:`GUIDELINE_EVIDENCE` is :data:`GUIDELINE` on ``LCCn_root_*``, where a neighbourhood holding only
its centre is no evidence (see :mod:`mfopt_detectors.features`). A condition on a NaN
feature is not met, so an undefined feature never triggers a rule; the last rule of each set is
the complement of the one before it and decides whatever is left.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

OPS = {">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b}


def fmt(value: float) -> str:
    """Compact number for reasons: 0.875, 8, 0.4, nan."""
    return "nan" if math.isnan(value) else f"{value:.4g}"


@dataclass(frozen=True)
class Rule:
    """``feature op threshold`` -> ``use_low``; ``label`` is the paper's wording, ``why`` a reading."""

    id: str
    feature: str
    op: str
    threshold: float
    use_low: bool
    label: str
    why: str

    def holds(self, features: Mapping[str, float]) -> bool:
        value = float(features.get(self.feature, math.nan))
        return not math.isnan(value) and bool(OPS[self.op](value, self.threshold))


@dataclass(frozen=True)
class RuleSet:
    """Rules in order of precedence; ``prefix`` names the set in :attr:`mfopt.Decision.rule`."""

    prefix: str
    rules: tuple[Rule, ...]

    def decide(self, features: Mapping[str, float]) -> tuple[Rule, bool]:
        """The first rule that holds and its verdict (the last rule if none does)."""
        for rule in self.rules:
            if rule.holds(features):
                return rule, rule.use_low
        return self.rules[-1], self.rules[-1].use_low


def describe(rule: Rule, use_low: bool, features: Mapping[str, float], source: str) -> str:
    """One readable sentence with the numbers behind ``rule``."""
    value = float(features.get(rule.feature, math.nan))
    verdict = "used (Co-Kriging)" if use_low else "ignored (Kriging)"
    return (
        f"Rule {rule.id} ({rule.label}): {rule.feature} = {fmt(value)} {rule.op} {fmt(rule.threshold)}, "
        f"{rule.why}, so the cheap source {source!r} is {verdict}."
    )


_PLENTY = "enough high-fidelity data to model the target alone"
_SAME = "every cheap point is also a high-fidelity point (B_r = n_h/n_l >= 1), so the source adds no locations"
_HARMFUL = "too few points have a good local correlation (the source looks harmful)"
_LOCAL = "the source is strongly correlated with the target at many points"
_LINEAR = "the difference f_h - f_l is well explained by a linear model"
_SCARCE = "neither rule set 1 nor 2 applies and high-fidelity data is scarce"
_AMPLE = "neither rule set 1 nor 2 applies and high-fidelity data is not scarce"

GUIDELINE = RuleSet(
    "guideline",
    (
        Rule("1a", "B_h_r", ">=", 18.0, False, "B_h^r >= 18", _PLENTY),
        Rule("1b", "B_r", ">=", 1.0, False, "n_h = n_l", _SAME),
        Rule("1c", "LCC_root_0.4", "<=", 0.7, False, "LCC_0.4 <= 0.7", _HARMFUL),
        Rule("2a", "LCC_root_0.95", ">=", 0.5, True, "LCC_0.95 >= 0.5", _LOCAL),
        Rule("2b", "R2_L", ">=", 0.4, True, "adj. R2_L >= 0.4", _LINEAR),
        Rule("3a", "B_h_r", "<=", 5.0, True, "B_h^r <= 5", _SCARCE),
        Rule("3b", "B_h_r", ">", 5.0, False, "B_h^r > 5", _AMPLE),
    ),
)

GUIDELINE_CODE = RuleSet(
    "guideline-code",
    (
        Rule("1a", "B_h_r", ">=", 20.0, False, "B_h^r >= 20", _PLENTY),
        Rule("1b", "B_r", ">=", 1.0, False, "B^r >= 1", _SAME),
        Rule("1c", "LCC_root_0.5", "<=", 0.7, False, "LCC_0.5 <= 0.7", _HARMFUL),
        Rule("2a", "LCC_root_0.9", ">=", 0.8, True, "LCC_0.9 >= 0.8", _LOCAL),
        Rule(
            "2b",
            "R2_LI",
            ">=",
            0.6,
            True,
            "adj. R2_LI >= 0.6",
            "the difference f_h - f_l is well explained by a linear model with interactions",
        ),
        Rule("3a", "B_h_r", "<=", 6.0, True, "B_h^r <= 6", _SCARCE),
        Rule("3b", "B_h_r", ">", 6.0, False, "B_h^r > 6", _AMPLE),
    ),
)

#: The paper's rules reading a neighbourhood that holds only its centre as no evidence (``LCCn``):
#: with no neighbourhood holding another point, rules 1c and 2a cannot fire.
GUIDELINE_EVIDENCE = RuleSet(
    "guideline-evidence",
    tuple(
        Rule(r.id, r.feature.replace("LCC_root_", "LCCn_root_"), r.op, r.threshold, r.use_low, r.label, r.why)
        for r in GUIDELINE.rules
    ),
)
