"""A learned harm detector as plain JSON: a standardised logistic regression on sample features.

The file (written by ``mfopt benchmark train-detector``, read by the ``learned`` detector plugin)::

    {"format": "mfopt-linear-detector/1", "kind": "logistic-regression",
     "features": ["B_h_r", ...],          # sample feature names; "log1p:NAME" = log(1 + max(NAME, 0))
     "impute": [...],                     # value used for a NaN feature (training median)
     "mean": [...], "scale": [...],       # standardisation: z = (x - mean) / scale
     "coef": [...], "intercept": b,       # P(use the cheap source) = 1 / (1 + exp(-(b + coef·z)))
     "threshold": 0.5, "trained_on": {...}, "cv": {...},
     "defer": [0.3, 0.7], "fallback": "guideline"}  # optional (absent: never defer)

``defer``: where ``P`` lies strictly inside this band the model is not confident, and the decision
is the ``fallback`` detector's on the same sample (the guideline: the model then only overrides
the paper's rules where it is confident). Without a fallback decision (none given, or the
fallback failed) the threshold decides. Files without these keys never defer.

No pickle: the model is a handful of numbers that any language can evaluate.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FORMAT = "mfopt-linear-detector/1"


def feature_value(features: Mapping[str, float], name: str) -> float:
    """``features[name]``, or ``log(1 + max(x, 0))`` of ``x = features[NAME]`` for ``log1p:NAME``; NaN if missing."""
    if name.startswith("log1p:"):
        value = float(features.get(name[6:], math.nan))
        return math.log1p(max(value, 0.0)) if math.isfinite(value) else math.nan
    return float(features.get(name, math.nan))


@dataclass
class LinearDetector:
    """Logistic regression on standardised features (see the module docstring)."""

    features: list[str]
    impute: list[float]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    threshold: float = 0.5
    kind: str = "logistic-regression"
    trained_on: dict[str, Any] = field(default_factory=dict)
    cv: dict[str, Any] = field(default_factory=dict)
    defer: list[float] = field(default_factory=list)
    fallback: str = "guideline"

    def __post_init__(self) -> None:
        n = len(self.features)
        for name in ("impute", "mean", "scale", "coef"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} has {len(getattr(self, name))} values for {n} features")
        if any(not s > 0 for s in self.scale):
            raise ValueError("every scale must be positive")
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must lie in (0, 1), got {self.threshold}")
        if self.defer and not (len(self.defer) == 2 and 0.0 <= self.defer[0] <= self.threshold <= self.defer[1] <= 1.0):
            raise ValueError(f"defer must be [low, high] with 0 <= low <= threshold <= high <= 1, got {self.defer}")

    def vector(self, features: Mapping[str, float]) -> list[float]:
        """The standardised input vector (NaN or missing features replaced by ``impute``)."""
        out = []
        for name, fill, m, s in zip(self.features, self.impute, self.mean, self.scale, strict=True):
            value = feature_value(features, name)
            out.append(((value if math.isfinite(value) else fill) - m) / s)
        return out

    def probability(self, features: Mapping[str, float]) -> float:
        """P(the cheap source helps) for a sample with these ``features``."""
        logit = self.intercept + sum(c * z for c, z in zip(self.coef, self.vector(features), strict=True))
        return 1.0 / (1.0 + math.exp(-logit)) if logit > -700 else 0.0

    def defers(self, probability: float) -> bool:
        """Whether ``probability`` lies strictly inside the deferral band (the fallback decides)."""
        return bool(self.defer) and self.defer[0] < probability < self.defer[1]

    def use_low(self, features: Mapping[str, float], fallback: bool | None = None) -> bool:
        """Use the cheap source? ``fallback``: the :attr:`fallback` detector's decision on the same
        sample, taken inside the deferral band (None: the threshold decides there too)."""
        p = self.probability(features)
        if fallback is not None and self.defers(p):
            return fallback
        return p >= self.threshold

    def contributions(self, features: Mapping[str, float]) -> dict[str, float]:
        """Each feature's term ``coef·z`` in the logit (for explaining a decision)."""
        return {n: c * z for n, c, z in zip(self.features, self.coef, self.vector(features), strict=True)}

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, **asdict(self)}, indent=2)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "detector") -> LinearDetector:
        if data.get("format") != FORMAT:
            raise ValueError(f"{where}: not an {FORMAT} file (format = {data.get('format')!r})")
        fields = {k: v for k, v in data.items() if k != "format"}
        try:
            return cls(**fields)
        except TypeError as exc:
            raise ValueError(f"{where}: {exc}") from None

    @classmethod
    def load(cls, path: Path | str) -> LinearDetector:
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except OSError as exc:
            raise ValueError(f"cannot read detector file {path}: {exc.strerror or exc}") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not JSON ({exc})") from None
        return cls.from_dict(data, str(path))
