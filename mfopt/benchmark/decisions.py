"""Every detector's decision on one training sample, and the sample's features.

The study records the verdict of every registered detector (default options) plus
:data:`VARIANTS` (registered detectors with other options, e.g. Toal's conservative ``CC >= 0.9``).
A detector that fails on a sample records ``None`` (no decision); its error is kept in ``errors``.
The features are the union of the features the decisions report (the ``guideline`` detector
reports every feature of Andrés-Thió et al. 2024) plus the two landscape features of :mod:`mfopt.benchmark.ela`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from mfopt.benchmark.ela import landscape_features
from mfopt.data import Dataset
from mfopt.plugin.manager import PluginManager

#: Extra recorded detectors: label -> (registered name, options).
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "toal-cc-0.9": ("toal-cc", {"threshold": 0.9}),
    "guideline-evidence": ("guideline", {"lcc": "evidence"}),
}


@dataclass(frozen=True)
class DetectorSpec:
    """A detector to record under ``label``: registered ``name`` created with ``options``."""

    label: str
    name: str
    options: dict[str, Any] = field(default_factory=dict)


def detector_specs(pm: PluginManager) -> list[DetectorSpec]:
    """Every registered detector with default options, then :data:`VARIANTS` whose base is registered."""
    specs = [DetectorSpec(name, name) for name in pm.detectors.names()]
    specs += [DetectorSpec(label, name, dict(opts)) for label, (name, opts) in VARIANTS.items() if name in pm.detectors]
    return specs


@dataclass
class SampleVerdicts:
    """Features of one sample, each detector's ``use_low`` (None = failed), the rule that decided
    (:attr:`mfopt.Decision.rule`, e.g. ``guideline.1c: LCC_0.4 <= 0.7``) and the failures' messages."""

    features: dict[str, float]
    decisions: dict[str, bool | None]
    errors: dict[str, str]
    rules: dict[str, str] = field(default_factory=dict)


def assess_sample(pm: PluginManager, data: Dataset, specs: list[DetectorSpec]) -> SampleVerdicts:
    """Run every detector of ``specs`` on the two-fidelity ``data`` (cheap source first)."""
    features: dict[str, float] = {}
    decisions: dict[str, bool | None] = {}
    errors: dict[str, str] = {}
    rules: dict[str, str] = {}
    for spec in specs:
        try:
            decision = pm.detectors.create(spec.name, **spec.options).assess(data)
        except Exception as exc:  # one detector's failure must not lose the others' decisions
            decisions[spec.label] = None
            errors[spec.label] = f"{type(exc).__name__}: {exc}"
            continue
        decisions[spec.label] = bool(decision.use_low)
        rules[spec.label] = decision.rule
        for key, value in decision.features.items():
            features.setdefault(key, float(value))
    features.update(landscape_features(data))
    finite = {k: (v if math.isfinite(v) else math.nan) for k, v in features.items()}
    return SampleVerdicts(finite, decisions, errors, rules)
