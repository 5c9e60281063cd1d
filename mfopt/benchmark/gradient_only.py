"""The gradient-only definiteness experiment (Wilke 2024, arXiv:2404.14456) under three readings.

The seed claims "'g' surrogates are positive definite in all cases, 'f' and 'f-g' can be negative
definite for mini-batches of 3 and 30". Without the full paper "definite" has several readings; each
trial is classified under all of them, for the three least-squares Gaussian-RBF fits ('f' values,
'f-g' values and gradients, 'g' gradients only) and mini-batches of 3, 30 and all 121 points:

- ``a``: the fitted surrogate's curvature ``s''`` at the mini-batch points (what the project measured
  with ``mfopt_surrogates.rbf_lstsq``: ``m = max(1, n_obs // 6)`` centres at evenly spaced ranks of the
  batch, 'g' rows = gradients only, the anchor fixing only the constant). Strict signs, as there.
- ``b``: the MSE loss over the 25 x 25 grid of ``(w1, w2) ∈ [-2, 2]²`` with TWO basis functions (the
  seed's loss-surface plots), the batch fixed for the whole surface; its Hessian read from a quadratic
  least-squares fit to the grid (exact: the loss is quadratic in ``w``, Hessian ``2AᵀA/N``).
- ``c``: the same surface under dynamic mini-batch sub-sampling: every grid point's loss on a freshly
  drawn mini-batch (the same draws for the three methods), Hessian from the quadratic fit. ``b`` and
  ``c`` count an eigenvalue only when it exceeds ``z`` standard errors of the fit (for ``b`` the fit is
  exact and only the ``rtol`` floor matters); ``c-signs`` takes the fit's eigenvalue signs as they come
  (the literal reading of ``c``).

Classes: ``convex`` (all curvatures/eigenvalues > 0), ``concave`` (all < 0), ``indefinite`` (both
signs), ``degenerate`` (neither: some are zero or unresolved, e.g. a surface flat to machine
precision because ``φ`` underflows). Zero for the grid readings: ``|λ| <= rtol · max L`` or
``|λ| <= z · se(λ)`` (not for ``c-signs``).

Why the RBF fit is written here rather than taken from a plugin: readings ``b`` and ``c`` need exactly
two basis functions at fixed centres and the loss as a function of an arbitrary weight vector, which no
registered surrogate exposes, and the core must not import ``mfopt_surrogates``; reading ``a`` restates
the same few NumPy lines (``tests/benchmark/test_gradient_only.py`` checks them against the plugin).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
METHODS = ("f", "f-g", "g")
READINGS = ("a", "b", "c", "c-signs")
CLASSES = ("convex", "concave", "indefinite", "degenerate")
EPS_BANDS = ((1e-4, 1e-1), (1e-1, 1e1), (1e1, 1e5))
POINTS = np.linspace(-2.0, 2.0, 121)


@dataclass(frozen=True)
class Settings:
    """Every choice of the experiment (defaults: the seed paper's protocol plus the stated choices)."""

    trials: int = 200
    seed: int = 0
    batches: tuple[int, ...] = (3, 30, 121)
    log10_eps: tuple[float, float] = (-4.0, 5.0)
    grid: int = 25
    weight_range: float = 2.0
    centres: tuple[float, float] = (-1.0, 1.0)
    z: float = 3.0
    rtol: float = 1e-12
    methods: tuple[str, ...] = field(default=METHODS)

    def __post_init__(self) -> None:
        if self.trials < 1:
            raise ValueError(f"trials must be >= 1, got {self.trials}")
        if self.seed < 0:
            raise ValueError(f"seed must be >= 0, got {self.seed}")
        if not self.batches or any(not 1 <= b <= POINTS.size for b in self.batches):
            raise ValueError(f"batch sizes must be in [1, {POINTS.size}], got {list(self.batches)}")


def targets(x: Array) -> tuple[Array, Array]:
    """The seed's function ``f = x²`` and its derivative ``2x``."""
    return x**2, 2.0 * x


def basis(x: Array, centres: Array, eps: float) -> tuple[Array, Array, Array]:
    """``φ``, ``φ'`` and ``φ''`` of ``exp(-ε (x - c)²)`` at ``x`` (shape ``... x n``) -> ``... x n x m``."""
    r = x[..., None] - centres
    phi = np.exp(-eps * r**2)
    return phi, -2.0 * eps * r * phi, (4.0 * eps**2 * r**2 - 2.0 * eps) * phi


def rows(method: str, x: Array, centres: Array, eps: float) -> tuple[Array, Array]:
    """Least-squares system ``A w ≈ t`` of ``method`` on points ``x`` (``... x n``): ``... x N x m``, ``... x N``."""
    phi, dphi, _ = basis(x, centres, eps)
    y, g = targets(x)
    if method == "f":
        return phi, y
    if method == "g":
        return dphi, g
    if method == "f-g":
        return np.concatenate([phi, dphi], axis=-2), np.concatenate([y, g], axis=-1)
    raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")


def basis_count(method: str, n: int) -> int:
    """``m = max(1, n_obs // 6)``: ``n_obs`` = ``n`` ('f'), ``2n`` ('f-g'), ``n + 1`` ('g' with its anchor)."""
    return max(1, {"f": n, "f-g": 2 * n, "g": n + 1}[method] // 6)


def batch_centres(x: Array, m: int) -> Array:
    """``m`` batch points at evenly spaced ranks along ``x`` (``m = 1``: the median), as ``rbf_lstsq``."""
    ordered = np.sort(x, kind="stable")
    ranks = np.round((np.arange(m) + 0.5) * x.size / m - 0.5).astype(int)
    return ordered[np.clip(ranks, 0, x.size - 1)]


def surrogate_curvature(method: str, x: Array, eps: float) -> Array:
    """Reading ``a``: fit ``method`` to the batch ``x`` by least squares, return ``s''`` at ``x``."""
    centres = batch_centres(x, basis_count(method, x.size))
    A, t = rows(method, x, centres, eps)
    w = np.linalg.lstsq(A, t, rcond=None)[0]
    return np.asarray(basis(x, centres, eps)[2] @ w, dtype=np.float64)


def classify_signs(values: Array, threshold: Array | float = 0.0) -> str:
    """``convex`` / ``concave`` / ``indefinite`` / ``degenerate`` from values counted only beyond ``±threshold``."""
    pos, neg = values > threshold, values < -np.asarray(threshold)
    if pos.all():
        return "convex"
    if neg.all():
        return "concave"
    return "indefinite" if pos.any() and neg.any() else "degenerate"


def weight_grid(settings: Settings) -> Array:
    """The ``grid² x 2`` weights ``(w1, w2)``, ``w1`` varying fastest."""
    w = np.linspace(-settings.weight_range, settings.weight_range, settings.grid)
    W1, W2 = np.meshgrid(w, w)
    return np.stack([W1.ravel(), W2.ravel()], axis=1)


def loss_surface(method: str, x: Array, eps: float, centres: Array, W: Array) -> Array:
    """MSE ``mean((A w - t)²)`` at each weight row of ``W`` (``k x 2``); ``x`` is one batch (``n``),
    shared by every grid point, or one batch per grid point (``k x n``: dynamic sub-sampling)."""
    A, t = rows(method, x, centres, eps)
    residual = (A @ W.T).T - t if x.ndim == 1 else np.einsum("kNm,km->kN", A, W) - t
    return np.asarray(np.mean(residual**2, axis=-1), dtype=np.float64)


@dataclass(frozen=True)
class QuadraticFit:
    """``L ≈ c0 + gᵀw + ½ wᵀHw`` fitted by least squares: Hessian, its eigenvalues and their standard errors."""

    hessian: Array
    eigenvalues: Array
    standard_errors: Array
    r2: float | None


def fit_quadratic(W: Array, L: Array) -> QuadraticFit:
    """Least-squares quadratic in ``(w1, w2)``; ``se(λ_i)`` by first-order perturbation ``λ_i = v_iᵀHv_i``."""
    w1, w2 = W[:, 0], W[:, 1]
    F = np.stack([np.ones_like(w1), w1, w2, w1**2, w1 * w2, w2**2], axis=1)
    centred = L - L.mean()  # same Hessian; keeps a huge constant from swamping a small variation
    coef, *_ = np.linalg.lstsq(F, centred, rcond=None)
    a, b, c = coef[3:]
    H = np.array([[2.0 * a, b], [b, 2.0 * c]])
    lam, V = np.linalg.eigh(H)
    rss = float(np.sum((centred - F @ coef) ** 2))
    cov = rss / (L.size - F.shape[1]) * np.linalg.inv(F.T @ F)[3:, 3:]
    U = np.stack([2.0 * V[0] ** 2, 2.0 * V[0] * V[1], 2.0 * V[1] ** 2], axis=1)  # dλ_i / d(a, b, c)
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", U, cov, U), 0.0))
    tss = float(np.sum(centred**2))
    return QuadraticFit(H, lam, se, 1.0 - rss / tss if tss > 0 else None)


def classify_surface(fit: QuadraticFit, L: Array, rtol: float, z: float | None) -> str:
    """Definiteness of a fitted surface: eigenvalues beyond ``rtol · max|L|`` (and ``z · se`` unless ``z`` is None)."""
    threshold = np.full(2, rtol * float(np.max(np.abs(L))))
    if z is not None:
        threshold = np.maximum(threshold, z * fit.standard_errors)
    return classify_signs(fit.eigenvalues, threshold)


@dataclass(frozen=True)
class Trial:
    """One trial: the static mini-batch (indices into the 121 points), ``ε`` and the dynamic draws' seed."""

    batch: int
    index: int
    points: Array
    eps: float
    dynamic_seed: tuple[int, int, int]


def draw_trials(settings: Settings, batch: int) -> list[Trial]:
    """``settings.trials`` trials of one batch size from ``default_rng(seed)``: per trial the batch (without
    replacement), then ``ε`` log-uniform (the draw order of the project's ``seed_claim`` test)."""
    rng = np.random.default_rng(settings.seed)
    out = []
    for t in range(settings.trials):
        idx = rng.choice(POINTS.size, batch, replace=False)
        eps = float(10.0 ** rng.uniform(*settings.log10_eps))
        out.append(Trial(batch, t, POINTS[idx], eps, (settings.seed, batch, t)))
    return out


def dynamic_batches(trial: Trial, k: int) -> Array:
    """``k`` fresh mini-batches of ``trial.batch`` points (each without replacement) -> ``k x batch``."""
    rng = np.random.default_rng(trial.dynamic_seed)
    idx = np.argsort(rng.random((k, POINTS.size)), axis=1)[:, : trial.batch]
    return np.asarray(POINTS[idx], dtype=np.float64)


def surfaces(trial: Trial, settings: Settings) -> dict[str, dict[str, Array]]:
    """Loss surfaces (``grid²`` values) of reading ``b`` (static) and ``c`` (dynamic) per method."""
    W, centres = weight_grid(settings), np.asarray(settings.centres)
    fresh = dynamic_batches(trial, W.shape[0])
    return {
        "b": {m: loss_surface(m, trial.points, trial.eps, centres, W) for m in settings.methods},
        "c": {m: loss_surface(m, fresh, trial.eps, centres, W) for m in settings.methods},
    }


def run_trial(trial: Trial, settings: Settings) -> dict[str, Any]:
    """Classes under every reading (and the quadratic fit's R² of ``b``/``c``) for each method."""
    W = weight_grid(settings)
    classes: dict[str, dict[str, str]] = {r: {} for r in READINGS}
    r2: dict[str, dict[str, float | None]] = {"b": {}, "c": {}}
    for m in settings.methods:
        classes["a"][m] = classify_signs(surrogate_curvature(m, trial.points, trial.eps))
    for reading, per_method in surfaces(trial, settings).items():
        for m, L in per_method.items():
            fit = fit_quadratic(W, L)
            r2[reading][m] = fit.r2
            classes[reading][m] = classify_surface(fit, L, settings.rtol, settings.z)
            if reading == "c":
                classes["c-signs"][m] = classify_surface(fit, L, settings.rtol, None)
    return {"batch": trial.batch, "trial": trial.index, "eps": trial.eps, "classes": classes, "r2": r2}


def fractions(records: Sequence[dict[str, Any]], reading: str, method: str) -> dict[str, float]:
    """Fraction of ``records`` in each class."""
    labels = [r["classes"][reading][method] for r in records]
    return {c: labels.count(c) / len(labels) for c in CLASSES} if labels else dict.fromkeys(CLASSES, 0.0)


def summarise(records: Sequence[dict[str, Any]], settings: Settings) -> list[dict[str, Any]]:
    """One row per (reading, batch, method): class fractions, median R² (grid readings) and by-ε-band fractions."""
    out = []
    for reading in READINGS:
        for batch in settings.batches:
            mine = [r for r in records if r["batch"] == batch]
            for m in settings.methods:
                r2 = [v for r in mine if (v := r["r2"].get(reading[0], {}).get(m)) is not None]
                bands = {
                    f"[{lo:g}, {hi:g})": fractions([r for r in mine if lo <= r["eps"] < hi], reading, m)
                    for lo, hi in EPS_BANDS
                }
                row = {"reading": reading, "batch": batch, "method": m, "trials": len(mine)}
                row |= fractions(mine, reading, m)
                out.append(row | {"median_r2": float(np.median(r2)) if r2 else None, "by_eps": bands})
    return out


def run(settings: Settings) -> dict[str, Any]:
    """The whole experiment: settings, one record per trial, the summary rows."""
    records = [run_trial(t, settings) for b in settings.batches for t in draw_trials(settings, b)]
    return {"settings": asdict(settings), "rows": summarise(records, settings), "trials": records}


def representative(settings: Settings, batch: int) -> list[Trial]:
    """The first trial of ``batch`` in each ε band (bands without a trial are skipped)."""
    trials = draw_trials(settings, batch)
    return [t for lo, hi in EPS_BANDS for t in [next((t for t in trials if lo <= t.eps < hi), None)] if t]


def plot_surfaces(settings: Settings, out_dir: str | Path) -> list[Path]:
    """For each batch size and grid reading, one PNG ``loss_{b|c}_batch{n}.png``: methods (rows) x the
    representative trials (columns), each panel ``L - min L`` over ``(w1, w2)`` titled with its class."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    W, n = weight_grid(settings), settings.grid
    extent = (-settings.weight_range, settings.weight_range) * 2
    paths = []
    for batch in settings.batches:
        chosen = representative(settings, batch)
        computed = [surfaces(t, settings) for t in chosen]
        for reading, label in (("b", "static batch"), ("c", "fresh batch per grid point")):
            n_rows, n_cols = len(settings.methods), len(chosen)
            fig, axes = plt.subplots(n_rows, n_cols, figsize=(3.4 * n_cols, 3.0 * n_rows), squeeze=False)
            for j, (trial, surf) in enumerate(zip(chosen, computed, strict=True)):
                for i, m in enumerate(settings.methods):
                    L, ax = surf[reading][m], axes[i, j]
                    cls = classify_surface(fit_quadratic(W, L), L, settings.rtol, settings.z)
                    image = ax.imshow((L - L.min()).reshape(n, n), origin="lower", extent=extent, cmap="viridis")
                    fig.colorbar(image, ax=ax, fraction=0.046)
                    ax.set_title(f"'{m}', ε={trial.eps:.3g}: {cls}", fontsize=9)
                    ax.set(xlabel="w1", ylabel="w2")
            fig.suptitle(f"MSE loss - min, batch {batch}, {label} (reading {reading}), centres {settings.centres}")
            fig.tight_layout()
            path = out_dir / f"loss_{reading}_batch{batch}.png"
            fig.savefig(path, dpi=80)
            plt.close(fig)
            paths.append(path)
    return paths
