"""Low-fidelity harm features from the training sample only (Andrés-Thió, Muñoz & Smith-Miles 2024, arXiv:2403.08118,
Appendix A), as a flat ``name -> float`` mapping with stable names.

Written with numpy by hand because no library computes these exact definitions: the weighted
correlation is evaluated for all ``n`` neighbourhoods at once from the ``n x n`` weight matrix,
and the adjusted R² comes from one least-squares solve per model (flacco's ``ela_meta``
``lin_simple.adj_r2`` / ``lin_w_interact.adj_r2`` definitions).

Names (``{p}`` is written with ``format(p, "g")``: 0.1, 0.2, …, 0.9, 0.95, 0.975; ``{r}`` is ``0.2``
for ``r = 0.2`` and ``root`` for ``r = 0.2^{1/d}``):

``CC``, ``RMSE``, ``RRMSE``, ``LCC_{r}_{p}``, ``LCC_{r}_mean``, ``LCC_{r}_sd``, ``LCC_{r}_coeff``,
``LCCn_root_{p}``, ``LCCn_root_mean``, ``LCCn_root_sd``, ``LCCn_root_coeff``,
``R2_L``, ``R2_LI``, ``B_h``, ``B_l``, ``B_h_r``, ``B_l_r``, ``B_r``, ``d``, ``n`` (matched points).

``LCC_*`` follow the authors' code, ``LCCn_*`` (radius ``0.2^{1/d}`` only) read a neighbourhood
holding only its centre as **no evidence**: it is left out of the fractions and moments, which are
NaN when no neighbourhood holds another point (e.g. 2 to 5 points in 1-D, radius 0.2).

Edge cases (NaN means "undefined"; every rule treats a comparison with NaN as not met):

- the paper's formula (its Appendix A) is 0/0 for a neighbourhood holding only its centre and for
  a zero weighted variance; we follow the authors' code (bifiEBBbenchmarks,
  ``weightedCorrelationCoefficient``), which produced the paper's figures: a lone centre is **1**,
  both variances zero is 1, one variance zero is 0 (variances compared with ``REL_TOL`` relative to
  the largest ``|y|``, where the code uses an absolute 1e-6). ``LCCn_*`` is the "no evidence" reading;
- fewer than 3 matched points: ``CC``, every ``LCC_*`` and ``R2_*`` are NaN;
- ``RRMSE`` is NaN when ``f_h`` is constant on the sample; ``LCC_*_coeff`` is NaN when the mean is 0;
- ``R2_*`` is NaN when ``n - p - 1 <= 0`` (e.g. ``n = d + 1`` for the linear model), and 1 when
  ``f_h - f_l`` is constant on the sample (a constant offset is fitted exactly; R's ``lm`` would
  divide 0 by 0).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Hashable

import numpy as np

from mfopt import Dataset
from mfopt_detectors.sample import PairedSample, paired_sample

P_LEVELS: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.975)
#: Relative size below which a standard deviation counts as zero (values constant up to rounding).
REL_TOL = 1e-10
NAN = float("nan")


def weighted_cc(y_low: np.ndarray, y_high: np.ndarray, W: np.ndarray, lone: float = 1.0) -> np.ndarray:
    """Squared weighted correlations ``WCC(w)`` for each row ``w`` of ``W`` (``m x n``, w >= 0).

    ``y_low`` and ``y_high`` are ``n``; returns ``m`` values in ``[0, 1]``. Where the paper's formula
    is 0/0, the authors' code (bifiEBBbenchmarks ``weightedCorrelationCoefficient``) decides: a row
    whose weighted variances of both sources are zero (relative to the largest ``|y|``) gives 1,
    of one source only gives 0. A row with a single positive weight (a neighbourhood holding only
    its centre) gives ``lone``: 1 in the authors' code, NaN for "no evidence".
    """
    W = np.atleast_2d(np.asarray(W, dtype=np.float64))
    sw = W.sum(axis=1)
    mean_l = W @ y_low / sw
    mean_h = W @ y_high / sw
    dev_l = y_low[None, :] - mean_l[:, None]
    dev_h = y_high[None, :] - mean_h[:, None]
    var_l = (W * dev_l**2).sum(axis=1) / sw
    var_h = (W * dev_h**2).sum(axis=1) / sw
    cov = (W * dev_l * dev_h).sum(axis=1) / sw
    flat_l = var_l <= (REL_TOL * np.abs(y_low).max()) ** 2
    flat_h = var_h <= (REL_TOL * np.abs(y_high).max()) ** 2
    defined = ~flat_l & ~flat_h
    out = np.where(flat_l & flat_h, 1.0, 0.0)
    out[defined] = cov[defined] ** 2 / (var_l[defined] * var_h[defined])
    out = np.clip(out, 0.0, 1.0)
    out[(W > 0.0).sum(axis=1) <= 1] = lone
    return out


def local_weights(U: np.ndarray, r: float) -> np.ndarray:
    """``n x n`` weights ``w_ij = max{0, 1 - ||u_i - u_j|| / (r sqrt(d))}`` for scaled inputs ``U``."""
    rho = r * math.sqrt(U.shape[1])
    diff = U[:, None, :] - U[None, :, :]
    dist = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    return np.maximum(0.0, 1.0 - dist / rho)


def local_correlations(sample: PairedSample, r: float, lone: float = 1.0) -> np.ndarray:
    """``LCC^r(x_i)`` at every matched point, shape ``n`` (``lone``: see :func:`weighted_cc`)."""
    return weighted_cc(sample.y_low, sample.y_high, local_weights(sample.U, r), lone)


def lcc_summary(values: np.ndarray, label: str, prefix: str = "LCC") -> dict[str, float]:
    """``{prefix}_{label}_{p}`` (fraction with ``LCC >= p``), ``_mean``, ``_sd`` (n - 1) and ``_coeff``.

    NaN values (neighbourhoods without evidence) are left out of every statistic; all NaN gives NaN.
    """
    values = values[~np.isnan(values)]
    if values.size == 0:
        return _lcc_nan(label, prefix)
    out = {f"{prefix}_{label}_{p:g}": float(np.mean(values >= p)) for p in P_LEVELS}
    mean = float(values.mean())
    sd = float(values.std(ddof=1)) if values.size > 1 else NAN
    out[f"{prefix}_{label}_mean"] = mean
    out[f"{prefix}_{label}_sd"] = sd
    out[f"{prefix}_{label}_coeff"] = sd / mean if mean > 0.0 else NAN
    return out


def _lcc_nan(label: str, prefix: str = "LCC") -> dict[str, float]:
    names = [f"{prefix}_{label}_{p:g}" for p in P_LEVELS] + [f"{prefix}_{label}_{s}" for s in ("mean", "sd", "coeff")]
    return dict.fromkeys(names, NAN)


def adjusted_r2(U: np.ndarray, y: np.ndarray, interactions: bool = False, scale: float | None = None) -> float:
    """Adjusted R² of a least-squares linear model of ``y`` (``n``) on ``U`` (``n x d``).

    With ``interactions`` the model adds every product ``u_i u_j`` (``i < j``). ``p`` counts the
    non-intercept terms; ``adj = 1 - (1 - R²)(n - 1)/(n - p - 1)``, NaN when ``n - p - 1 <= 0``.
    ``y`` constant (standard deviation below ``REL_TOL * scale``) gives 1.
    """
    n, d = U.shape
    columns = [np.ones(n), *U.T]
    if interactions:
        columns += [U[:, i] * U[:, j] for i in range(d) for j in range(i + 1, d)]
    A = np.column_stack(columns)
    p = A.shape[1] - 1
    if n - p - 1 <= 0:
        return NAN
    centred = y - y.mean()
    sst = float(centred @ centred)
    scale = float(np.abs(y).max()) if scale is None else scale
    if math.sqrt(sst / n) <= REL_TOL * scale:
        return 1.0
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    resid = y - A @ coef
    r2 = 1.0 - float(resid @ resid) / sst
    return 1.0 - (1.0 - r2) * (n - 1) / (n - p - 1)


def budget_features(n_high: int, n_low: int, d: int) -> dict[str, float]:
    """``B_h``, ``B_l``, ``B_h_r = n_h/d``, ``B_l_r = n_l/d``, ``B_r = n_h/n_l`` and ``d``."""
    return {
        "B_h": float(n_high),
        "B_l": float(n_low),
        "B_h_r": n_high / d,
        "B_l_r": n_low / d,
        "B_r": n_high / n_low if n_low > 0 else NAN,
        "d": float(d),
    }


def sample_features(sample: PairedSample) -> dict[str, float]:
    """Every feature of Andrés-Thió et al. (2024) for a matched sample (names in the module docstring)."""
    n, d = sample.n, sample.dim
    yl, yh = sample.y_low, sample.y_high
    out: dict[str, float] = {"n": float(n)}
    out["CC"] = float(weighted_cc(yl, yh, np.ones((1, n)))[0]) if n >= 3 else NAN
    rmse = float(np.sqrt(np.mean((yl - yh) ** 2))) if n >= 1 else NAN
    spread = float(yh.max() - yh.min()) if n >= 1 else 0.0
    out["RMSE"] = rmse
    out["RRMSE"] = rmse / spread if spread > REL_TOL * float(np.abs(yh).max(initial=0.0)) else NAN
    for label, r in (("0.2", 0.2), ("root", 0.2 ** (1.0 / d))):
        out.update(lcc_summary(local_correlations(sample, r), label) if n >= 3 else _lcc_nan(label))
    root = 0.2 ** (1.0 / d)
    out.update(
        lcc_summary(local_correlations(sample, root, NAN), "root", "LCCn") if n >= 3 else _lcc_nan("root", "LCCn")
    )
    if n >= 3:
        scale = float(max(np.abs(yh).max(), np.abs(yl).max()))
        out["R2_L"] = adjusted_r2(sample.U, yh - yl, interactions=False, scale=scale)
        out["R2_LI"] = adjusted_r2(sample.U, yh - yl, interactions=True, scale=scale)
    else:
        out["R2_L"] = out["R2_LI"] = NAN
    out.update(budget_features(sample.n_high, sample.n_low, d))
    return out


#: Feature sets kept by :func:`compute_features` (the detectors judging one sample run one after the other).
CACHE_SIZE = 8
_CACHE: OrderedDict[Hashable, dict[str, float]] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def sample_key(data: Dataset) -> Hashable:
    """What the features of ``data`` depend on: dimension, bounds, fidelity names in order and the
    successful observations (point, fidelity, value) in order."""
    observations = tuple(
        (tuple(map(float, o.x)), o.fidelity, float(o.value)) for o in data.successful() if o.value is not None
    )
    fidelities = tuple(f.name for f in data.fidelities)
    return (data.dim, data.bounds.detach().cpu().numpy().tobytes(), fidelities, observations)


def compute_features(data: Dataset) -> dict[str, float]:
    """Features of the two-fidelity ``data`` (cheap source first, target second).

    The last :data:`CACHE_SIZE` feature sets are kept, keyed on :func:`sample_key`: a study asks
    every detector about the same sample in turn (``toal-cc`` at two thresholds, three rule sets,
    ``learned``), and they all read these features. A hit returns a copy of the same values."""
    key = sample_key(data)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return dict(hit)
    features = sample_features(paired_sample(data))
    with _CACHE_LOCK:
        _CACHE[key] = features
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return dict(features)


def feature_names(d: int = 1) -> list[str]:
    """The stable feature names, in the order :func:`sample_features` returns them."""
    return list(sample_features(PairedSample(np.zeros((0, d)), np.zeros(0), np.zeros(0), 0, 0, "low", "high")))
