"""Evidence about a cheap source, gathered from what an optimisation loop produces.

Three kinds, each comparing the high-fidelity-only (single-fidelity, SF) model with the
multi-fidelity (MF) model that fuses one cheap source, on the target's points:

- a **prior** from the registered harm detector (the paper's features and rules), read as a vote
  of +1 (helps), -1 (harmful) or 0 (no evidence). The vote is 0 when the rule that fired is a
  budget rule (``B_h^r``, ``n_h = n_l``: they say how much data there is, not whether the source
  is good) or a local-correlation rule while most neighbourhoods hold a single point (then every
  ``LCC`` is 0 by construction; Andrés-Thió et al. 2024, arXiv:2403.08118, Appendix A);
- **leave-one-out cross-validation** of both models on the target's points, in closed form
  (Dubrule 1983: with ``M = [[C, 1], [1ᵀ, 0]]`` the kriging system with its constant mean
  re-estimated, the LOO residual of point ``i`` is ``[M⁻¹ (y, 0)]_i / [M⁻¹]_ii`` and its variance
  ``1 / [M⁻¹]_ii``), hyperparameters held at their fitted values;
- **prequential** scores: each target observation proposed after the design is a test point for
  the predictions both models made before it was evaluated;
- whether the cheap source is **under-sampled**: the closed-form LOO of a single-fidelity model
  fitted on the cheap source's own points, as ``Q² = 1 - Σ(y_i - ŷ_{-i})² / Σ(y_i - ȳ)²``. While
  the cheap model cannot predict its own left-out points, a fused model that predicts new target
  points badly says that the cheap data are too few, not that the source is harmful. That
  hypothesis has a point budget: once the source holds a set multiple of its cheap design's
  points, it holds only while the cheap model is still learning (its Q² above that of a model of
  the first half of the points); else the source is judged on its score like any other.

Each comparison is a log predictive density advantage ``log p_MF(y) - log p_SF(y)`` per point,
clipped to ``[-CLIP, CLIP]`` nats so that one near-zero predictive variance cannot decide alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from mfopt.data import Decision
from mfopt.surrogate import FittedSurrogate

#: per-point clip of the log-score advantage, in nats
CLIP = 3.0
#: weight of the detector's vote and of the whole LOO comparison, in prequential points
PRIOR_WEIGHT = 0.5
LOO_WEIGHT = 1.0
#: budget rules of the guideline rule sets: they carry no evidence on the source's quality
#: a source stays open on probation while it has fewer prequential points than this and a score
#: above -PROBATION nats
PROBATION_POINTS = 2
PROBATION = 1.0
BUDGET_RULES = ("1a", "1b", "3a", "3b")
LOCAL_RULES = ("1c", "2a")


@dataclass(frozen=True)
class Prediction:
    """A predictive mean and variance of the target at one point (original units)."""

    mean: float
    var: float


def log_density(y: float, p: Prediction, floor: float) -> float:
    """``log N(y; mean, max(var, floor))``."""
    var = max(p.var, floor)
    return -0.5 * (math.log(2 * math.pi * var) + (y - p.mean) ** 2 / var)


def advantage(y: float, sf: Prediction, mf: Prediction, floor: float) -> float:
    """The clipped log-score advantage of the multi-fidelity prediction over the single-fidelity one."""
    gain = log_density(y, mf, floor) - log_density(y, sf, floor)
    return max(-CLIP, min(CLIP, gain))


def variance_floor(values: Sequence[float]) -> float:
    """A predictive variance floor: (1e-3 of the target's observed range)², at least 1e-12."""
    span = max(values) - min(values) if len(values) > 1 else 1.0
    return max((1e-3 * span) ** 2, 1e-12)


def loo_target(fitted: FittedSurrogate) -> list[tuple[Tensor, float, Prediction]] | None:
    """Closed-form leave-one-out predictions at the model's target-fidelity training points.

    Reads the fitted model's documented training data (``train_X``, ``train_s``, ``train_y``,
    ``scale``) and its covariance factor ``L`` (kriging and co-kriging of ``mfopt_surrogates``);
    returns ``(x scaled, y, LOO prediction)`` per target point, or None for a model that does not
    expose them. For a multi-fidelity model the cheap points stay in the data: only the target
    value at ``x_i`` is left out.
    """
    model: Any = fitted.model  # duck-typed: kriging / co-kriging of mfopt_surrogates
    names = ("train_X", "train_s", "train_y", "L", "scale", "offset")
    if not all(hasattr(model, n) for n in names) or bool(getattr(model, "blocks", None)):
        return None
    X, s, y, L = model.train_X, model.train_s, model.train_y, model.L
    if y.ndim != 1:
        return None
    n = y.shape[0]
    C = L @ L.transpose(-1, -2)
    # the mean's regressors: one constant per level of the chain (ones for Kriging)
    F = model.regressors(s).to(C) if hasattr(model, "regressors") else C.new_ones(n, 1)
    F = F.reshape(n, -1)
    F = F[:, F.abs().sum(0) > 0]  # a level with no training point has no mean to estimate
    k = F.shape[1]
    M = C.new_zeros(n + k, n + k)  # on the model's device (the GPU when it was fitted there)
    M[:n, :n] = C
    M[:n, n:] = F
    M[n:, :n] = F.T
    try:
        Minv = torch.linalg.inv(M)
    except RuntimeError:
        return None
    rhs = torch.cat([y, y.new_zeros(k)])
    alpha = Minv @ rhs
    diag = Minv.diagonal()[:n]
    if not bool((diag > 0).all()):
        return None
    residual = alpha[:n] / diag  # y_i - ŷ_{-i}, scaled units
    var = 1.0 / diag
    scale = float(model.scale)
    offset = float(model.offset)
    target = int(s.max()) if fitted.fidelity_column else 0
    out = []
    for i in range(n):
        if int(s[i]) != target:
            continue
        yi = offset + scale * float(y[i])
        mean = yi - scale * float(residual[i])
        out.append((X[i], yi, Prediction(mean, scale**2 * float(var[i]))))
    return out


def loo_q2(fitted: FittedSurrogate) -> float | None:
    """The leave-one-out coefficient of determination ``1 - Σ(y_i - ŷ_{-i})² / Σ(y_i - ȳ)²`` of a
    model on its own target-fidelity points (1: every left-out point predicted exactly; <= 0: no
    better than their mean); None when the model exposes no LOO or its values are all equal."""
    loo = loo_target(fitted)
    if not loo or len(loo) < 2:
        return None
    ys = [y for _, y, _ in loo]
    mean = sum(ys) / len(ys)
    sst = sum((y - mean) ** 2 for y in ys)
    if sst <= 0.0:
        return None
    return 1.0 - sum((y - p.mean) ** 2 for _, y, p in loo) / sst


def loo_advantage(sf: FittedSurrogate, mf: FittedSurrogate, floor: float) -> tuple[float, int, float, float] | None:
    """Mean LOO advantage of ``mf`` over ``sf`` on the target points both hold, the number of
    points, and each model's LOO root-mean-square error; None when either exposes no LOO."""
    a, b = loo_target(sf), loo_target(mf)
    if a is None or b is None:
        return None
    by_y = {round(y, 12): p for _, y, p in b}
    gains, e_sf, e_mf = [], [], []
    for _, y, p in a:
        q = by_y.get(round(y, 12))
        if q is None:
            continue
        gains.append(advantage(y, p, q, floor))
        e_sf.append((y - p.mean) ** 2)
        e_mf.append((y - q.mean) ** 2)
    if not gains:
        return None
    n = len(gains)
    return sum(gains) / n, n, math.sqrt(sum(e_sf) / n), math.sqrt(sum(e_mf) / n)


def neighbourhood_sizes(X: Tensor, bounds: Tensor) -> list[int]:
    """How many paired points (itself included) each paired point's LCC neighbourhood holds
    (radius ``0.2^{1/d}·√d`` in the unit box, Andrés-Thió et al. 2024)."""
    if X.shape[0] == 0:
        return []
    d = X.shape[1]
    U = (X - bounds[0]) / (bounds[1] - bounds[0])
    radius = 0.2 ** (1.0 / d) * math.sqrt(d)
    dist = torch.cdist(U, U)
    return [int(v) for v in (dist < radius).sum(-1).tolist()]


def prior_vote(decision: Decision, sizes: Sequence[int]) -> tuple[float, str]:
    """The detector's verdict as a vote in {-1, 0, +1} and why."""
    rule_id = decision.rule.split(":", 1)[0].rsplit(".", 1)[-1].strip()  # "guideline.1c: ..." -> "1c"
    if rule_id in BUDGET_RULES:
        return 0.0, f"detector rule {decision.rule} is a budget rule: no evidence on the source"
    singletons = sum(1 for s in sizes if s <= 1)
    if rule_id in LOCAL_RULES and (not sizes or singletons * 2 >= len(sizes)):
        return 0.0, (
            f"detector rule {decision.rule} reads local correlations, but {singletons} of {len(sizes)} "
            "neighbourhoods hold one point: no evidence"
        )
    vote = 1.0 if decision.use_low else -1.0
    return vote, f"detector rule {decision.rule} says the source {'helps' if decision.use_low else 'hurts'}"


@dataclass(frozen=True)
class SourceEvidence:
    """Everything the gate knows about one cheap source at one iteration."""

    source: str
    prior: float
    prior_note: str
    loo_advantage: float | None
    loo_points: int
    loo_rmse_sf: float | None
    loo_rmse_mf: float | None
    preq_advantages: tuple[float, ...]
    preq_sse_sf: float
    preq_sse_mf: float
    features: Mapping[str, float]
    #: LOO Q² of a single-fidelity model on this source's own points (None: not computed)
    cheap_q2: float | None = None
    #: the source counts as under-sampled while ``cheap_q2`` is below this (0: never)
    undersampled_q2: float = 0.0
    #: successful points of this source, and how many it may hold while still counted as
    #: under-sampled (the probation's point budget; None: no budget)
    cheap_points: int = 0
    probation_limit: int | None = None
    #: LOO Q² of a single-fidelity model of the first half of this source's points (in evaluation
    #: order; None: not computed, i.e. the budget is not reached or the source is not under-sampled)
    cheap_q2_half: float | None = None

    @property
    def preq_points(self) -> int:
        return len(self.preq_advantages)

    @property
    def score(self) -> float:
        """Weighted mean log-score advantage of fusing this source: the detector's vote (weight
        ``PRIOR_WEIGHT``), the LOO mean (weight ``LOO_WEIGHT``: LOO sees the cheap value at the
        left-out point, so it is optimistic for fusion and counts as one point), each prequential
        point (weight 1)."""
        num = PRIOR_WEIGHT * self.prior + sum(self.preq_advantages)
        den = PRIOR_WEIGHT + self.preq_points
        if self.loo_advantage is not None:
            num += LOO_WEIGHT * self.loo_advantage
            den += LOO_WEIGHT
        return num / den

    @property
    def undersampled(self) -> bool:
        """The cheap source is informative where it has been sampled but not yet learned: the fused
        model predicts the target's left-out points better than the high-fidelity-only model (the LOO
        advantage, which sees the cheap value at the left-out point, is positive), while a model of the
        cheap source alone cannot predict its own left-out points (``cheap_q2 < undersampled_q2``).
        A bad prequential score then says that the cheap data are too few, not that the source is
        harmful: what a cheap evaluation can buy is still unknown. The hypothesis gets a point budget
        (:attr:`probation_spent`): once the source holds ``probation_limit`` points, more cheap data
        have had their chance and the source is judged on its score."""
        return (
            self.undersampled_q2 > 0.0
            and self.cheap_q2 is not None
            and self.cheap_q2 < self.undersampled_q2
            and self.loo_advantage is not None
            and self.loo_advantage > 0.0
            and not self.probation_spent
        )

    @property
    def learning(self) -> bool:
        """More cheap data still teach the cheap model: its LOO Q² on all the source's points is
        above that of a model of the first half of them (a learning curve over one doubling)."""
        return self.cheap_q2 is not None and self.cheap_q2_half is not None and self.cheap_q2 > self.cheap_q2_half

    @property
    def probation_spent(self) -> bool:
        """The under-sampled probation's point budget is used up: the source holds at least
        ``probation_limit`` points and more cheap data no longer teach its own model
        (:attr:`learning`)."""
        reached = self.probation_limit is not None and self.cheap_points >= self.probation_limit
        return reached and not self.learning

    @property
    def probation(self) -> bool:
        """Fewer than ``PROBATION_POINTS`` prequential points and a score above ``-PROBATION``, or
        an under-sampled source (:attr:`undersampled`): the evidence cannot tell yet, and trying
        the source costs at most what the spending control allows."""
        return (self.preq_points < PROBATION_POINTS and self.score > -PROBATION) or self.undersampled

    @property
    def open(self) -> bool:
        """Open while fusing this source predicts the target better (score > 0), or on probation."""
        return self.score > 0.0 or self.probation

    @property
    def strong(self) -> bool:
        """Strong evidence: at least 3 prequential points and a score of at least 0.5 nats."""
        return self.preq_points >= 3 and abs(self.score) >= 0.5

    def numbers(self) -> dict[str, float]:
        """The evidence as numbers (what a stored :class:`Decision` carries besides the features)."""
        nan = math.nan
        return {
            "evidence_score": self.score,
            "prior_vote": self.prior,
            "loo_advantage": nan if self.loo_advantage is None else self.loo_advantage,
            "loo_points": float(self.loo_points),
            "loo_rmse_sf": nan if self.loo_rmse_sf is None else self.loo_rmse_sf,
            "loo_rmse_mf": nan if self.loo_rmse_mf is None else self.loo_rmse_mf,
            "preq_points": float(self.preq_points),
            "preq_advantage": sum(self.preq_advantages) / self.preq_points if self.preq_points else nan,
            "preq_sse_sf": self.preq_sse_sf,
            "preq_sse_mf": self.preq_sse_mf,
            "cheap_loo_q2": nan if self.cheap_q2 is None else self.cheap_q2,
            "undersampled": float(self.undersampled),
            "cheap_points": float(self.cheap_points),
            "probation_limit": nan if self.probation_limit is None else float(self.probation_limit),
            "cheap_loo_q2_half": nan if self.cheap_q2_half is None else self.cheap_q2_half,
        }

    def sentence(self) -> str:
        """One readable sentence: the verdict and the numbers behind it."""
        verdict = ("open on probation" if self.score <= 0 else "open") if self.open else "closed"
        strength = "strong" if self.strong else "weak"
        loo = (
            "no LOO"
            if self.loo_advantage is None
            else f"LOO advantage {self.loo_advantage:+.2f} nats over {self.loo_points} points "
            f"(RMSE SF {self.loo_rmse_sf:.3g} vs MF {self.loo_rmse_mf:.3g})"
        )
        if self.preq_points:
            preq = (
                f"prequential advantage {sum(self.preq_advantages) / self.preq_points:+.2f} nats over "
                f"{self.preq_points} new target points (SSE SF {self.preq_sse_sf:.3g} vs MF {self.preq_sse_mf:.3g})"
            )
        else:
            preq = "no prequential point yet"
        if self.undersampled:
            cheap = (
                f"; under-sampled: the cheap model's LOO Q² on its own points is {self.cheap_q2:.2f} "
                f"< {self.undersampled_q2:g}, so a bad fused prediction does not close the gate"
            )
        elif self.cheap_q2 is not None and self.cheap_q2 < self.undersampled_q2 and self.probation_spent:
            half = "n/a" if self.cheap_q2_half is None else f"{self.cheap_q2_half:.2f}"
            cheap = (
                f"; the cheap model's LOO Q² on its own points is {self.cheap_q2:.2f}, but the under-sampled "
                f"probation is spent ({self.cheap_points} cheap points, budget {self.probation_limit}; "
                f"the first half's Q² {half}: more cheap data no longer teach the cheap model): the score decides"
            )
        elif self.cheap_q2 is not None:
            cheap = f"; the cheap model's LOO Q² on its own points is {self.cheap_q2:.2f}"
        else:
            cheap = ""
        return (
            f"gate {verdict} for {self.source!r} ({strength} evidence, score {self.score:+.2f}): "
            f"{self.prior_note}; {loo}; {preq}{cheap}."
        )
