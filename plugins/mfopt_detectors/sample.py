"""The training sample a harm detector looks at: the points where both fidelities are known.

:func:`paired_sample` matches the cheap source's and the target's successful observations by
identical ``x`` (the nested designs give ``X_h ⊆ X_l``, so normally every HF point is matched)
and scales the inputs to ``[0, 1]^d`` with the dataset's bounds (Andrés-Thió et al. 2024, Appendix A).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mfopt import Dataset


@dataclass(frozen=True)
class PairedSample:
    """Matched observations of one cheap source and the target.

    ``U`` is ``n x d`` (inputs scaled to the unit box), ``y_low`` and ``y_high`` are ``n``;
    ``n_low`` and ``n_high`` count the distinct observed points of each fidelity (the budgets
    ``B_l`` and ``B_h``), which may exceed ``n`` when some points are known at one fidelity only.
    """

    U: np.ndarray
    y_low: np.ndarray
    y_high: np.ndarray
    n_low: int
    n_high: int
    source: str
    target: str

    @property
    def n(self) -> int:
        return int(self.U.shape[0])

    @property
    def dim(self) -> int:
        return int(self.U.shape[1])


def _by_point(data: Dataset, fidelity: str) -> dict[tuple[float, ...], float]:
    """Value per distinct point; repeated evaluations of one point are averaged."""
    sums: dict[tuple[float, ...], list[float]] = {}
    for obs in data.successful(fidelity):
        if obs.value is None:
            continue
        sums.setdefault(tuple(float(v) for v in obs.x), []).append(float(obs.value))
    return {x: float(np.mean(values)) for x, values in sums.items()}


def two_fidelities(data: Dataset) -> tuple[str, str]:
    """``(source, target)`` names; a harm detector judges exactly one cheap source."""
    if len(data.fidelities) != 2:
        names = [f.name for f in data.fidelities]
        raise ValueError(f"a harm detector needs a dataset with exactly 2 fidelities (source, target), got {names}")
    return data.fidelities[0].name, data.fidelities[1].name


def paired_sample(data: Dataset) -> PairedSample:
    """Match the two fidelities of ``data`` point by point and scale inputs to ``[0, 1]^d``.

    A bound pair with zero width (a degenerate box) scales that coordinate to 0.
    """
    source, target = two_fidelities(data)
    low = _by_point(data, source)
    high = _by_point(data, target)
    common = [x for x in high if x in low]
    d = data.dim
    X = np.asarray(common, dtype=np.float64).reshape(len(common), d)
    bounds = data.bounds.detach().cpu().numpy().astype(np.float64)
    width = bounds[1] - bounds[0]
    width = np.where(width > 0.0, width, 1.0)
    U = (X - bounds[0]) / width
    return PairedSample(
        U=U,
        y_low=np.asarray([low[x] for x in common], dtype=np.float64),
        y_high=np.asarray([high[x] for x in common], dtype=np.float64),
        n_low=len(low),
        n_high=len(high),
        source=source,
        target=target,
    )
