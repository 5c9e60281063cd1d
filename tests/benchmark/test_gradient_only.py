"""The gradient-only definiteness experiment (mfopt.benchmark.gradient_only, docs/gradient_only.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from mfopt_surrogates.rbf_lstsq import fit as project_fit

from mfopt.benchmark import gradient_only as go
from mfopt.cli import main

W = go.weight_grid(go.Settings())


def quadratic(H: np.ndarray) -> np.ndarray:
    """``3 + w1 - 2 w2 + ½ wᵀHw`` on the 25 x 25 grid."""
    return 3.0 + W[:, 0] - 2.0 * W[:, 1] + 0.5 * np.einsum("ki,ij,kj->k", W, H, W)


@pytest.mark.parametrize(
    ("H", "expected"),
    [
        ([[4.0, 1.0], [1.0, 2.0]], "convex"),
        ([[-3.0, 0.5], [0.5, -1.0]], "concave"),
        ([[2.0, 0.0], [0.0, -0.5]], "indefinite"),
        ([[1.0, 1.0], [1.0, 1.0]], "degenerate"),  # eigenvalues 2 and 0: a valley
    ],
)
def test_an_exactly_quadratic_loss_gives_its_hessian(H: list[list[float]], expected: str) -> None:
    H_true = np.array(H)
    L = quadratic(H_true)
    fit = go.fit_quadratic(W, L)
    assert np.allclose(fit.hessian, H_true, atol=1e-10)
    assert np.allclose(fit.eigenvalues, np.linalg.eigvalsh(H_true), atol=1e-10)
    assert fit.r2 == pytest.approx(1.0) and float(fit.standard_errors.max()) < 1e-10
    for z in (None, 3.0):
        assert go.classify_surface(fit, L, rtol=1e-12, z=z) == expected


def test_noise_without_curvature_is_degenerate_only_with_the_significance_test() -> None:
    rng = np.random.default_rng(5)
    L = 3.0 + 1e-3 * (W**2).sum(axis=1) + rng.normal(0.0, 1.0, W.shape[0])
    fit = go.fit_quadratic(W, L)
    assert fit.r2 is not None and fit.r2 < 0.05
    assert go.classify_surface(fit, L, rtol=1e-12, z=3.0) == "degenerate"
    assert go.classify_surface(fit, L, rtol=1e-12, z=None) != "degenerate"  # signs of noise, taken literally


@pytest.mark.parametrize("method", ["f", "f-g", "g"])
def test_static_surface_hessian_is_two_ata_over_n(method: str) -> None:
    x, eps, c = np.array([-0.5, 0.3, 1.2, 1.9]), 0.7, np.array([-1.0, 1.0])
    phi = np.exp(-eps * (x[:, None] - c) ** 2)
    dphi = -2.0 * eps * (x[:, None] - c) * phi
    A = {"f": phi, "g": dphi, "f-g": np.vstack([phi, dphi])}[method]
    L = go.loss_surface(method, x, eps, c, W)
    t = {"f": x**2, "g": 2 * x, "f-g": np.concatenate([x**2, 2 * x])}[method]
    assert L[7] == pytest.approx(np.mean((A @ W[7] - t) ** 2), rel=1e-12)
    fit = go.fit_quadratic(W, L)
    assert np.allclose(fit.hessian, 2.0 * A.T @ A / A.shape[0], rtol=1e-9, atol=1e-12)
    assert go.classify_surface(fit, L, rtol=1e-12, z=3.0) == "convex"


def test_a_surface_flat_to_machine_precision_is_degenerate() -> None:
    # ε = 1e5, batch far from both centres: φ underflows, the loss does not depend on w
    x, c = np.array([-0.2, 0.1, 0.4]), np.array([-1.0, 1.0])
    L = go.loss_surface("f", x, 1e5, c, W)
    assert go.classify_surface(go.fit_quadratic(W, L), L, rtol=1e-12, z=3.0) == "degenerate"


def test_known_surrogates_are_recognised() -> None:
    # s = -φ(x; c = 0): s'' = 2ε φ (1 - 2ε x²) > 0 inside |x| < 1/sqrt(2ε), < 0 outside
    eps = 0.5
    curv = lambda x: -go.basis(np.asarray(x), np.array([0.0]), eps)[2][:, 0]  # noqa: E731
    assert go.classify_signs(curv([-0.5, 0.2, 0.9])) == "convex"
    assert go.classify_signs(-curv([-0.5, 0.2, 0.9])) == "concave"
    assert go.classify_signs(curv([0.0, 1.5])) == "indefinite"
    assert go.classify_signs(np.array([1.0, 0.0])) == "degenerate"
    # one basis function at the batch median, ε small: 'f' gets w > 0 (values x² >= 0), concave;
    # 'g' gets w < 0 (gradients 2x point away from the median), convex
    x = np.array([-1.0, 0.5, 1.5])
    phi = np.exp(-1e-3 * (x - 0.5) ** 2)
    w_f = phi @ x**2 / (phi @ phi)
    assert np.allclose(go.surrogate_curvature("f", x, 1e-3), w_f * phi * (4e-6 * (x - 0.5) ** 2 - 2e-3))
    assert go.classify_signs(go.surrogate_curvature("f", x, 1e-3)) == "concave"
    assert go.classify_signs(go.surrogate_curvature("g", x, 1e-3)) == "convex"


def test_reading_a_is_what_the_project_measured() -> None:
    """Same curvature as mfopt_surrogates.rbf_lstsq, and 64 of 200 'g' fits convex at batch 3, seed 0."""
    trials = go.draw_trials(go.Settings(), 3)
    for t in trials[:20]:
        for m in go.METHODS:
            y, g = go.targets(t.points)
            s = project_fit(m, t.points[:, None], y, g[:, None], t.eps)
            assert np.allclose(go.surrogate_curvature(m, t.points, t.eps), s.curvature(t.points[:, None]), rtol=1e-9)
    classes = [go.classify_signs(go.surrogate_curvature("g", t.points, t.eps)) for t in trials]
    assert classes.count("convex") == 64


def test_dynamic_batches_are_fresh_and_the_full_batch_is_static() -> None:
    trial = go.draw_trials(go.Settings(trials=1, batches=(30,)), 30)[0]
    fresh = go.dynamic_batches(trial, 625)
    assert fresh.shape == (625, 30) and all(np.unique(row).size == 30 for row in fresh)
    assert np.unique(np.sort(fresh, axis=1), axis=0).shape[0] == 625
    assert np.array_equal(fresh, go.dynamic_batches(trial, 625))
    full = go.draw_trials(go.Settings(trials=1, batches=(121,)), 121)[0]
    surf = go.surfaces(full, go.Settings())
    for m in go.METHODS:
        assert np.allclose(surf["c"][m], surf["b"][m], rtol=1e-12)


def test_same_seed_same_table_and_the_loss_is_never_concave() -> None:
    settings = go.Settings(trials=6, batches=(3, 30))
    a, b = go.run(settings), go.run(settings)
    assert a == b
    assert go.run(go.Settings(trials=6, batches=(3, 30), seed=1))["rows"] != a["rows"]
    assert len(a["rows"]) == len(go.READINGS) * 2 * 3 and len(a["trials"]) == 12
    for row in a["rows"]:
        assert sum(row[c] for c in go.CLASSES) == pytest.approx(1.0)
        assert row["median_r2"] is None or 0.0 <= row["median_r2"] <= 1.0 + 1e-12
        if row["reading"] == "b":  # the static loss's Hessian 2AᵀA/N is positive semidefinite
            assert row["concave"] == 0.0 and row["indefinite"] == 0.0


def test_bad_settings() -> None:
    with pytest.raises(ValueError, match="trials"):
        go.Settings(trials=0)
    with pytest.raises(ValueError, match="seed"):
        go.Settings(seed=-1)
    with pytest.raises(ValueError, match="batch sizes"):
        go.Settings(batches=(3, 122))


def test_command_prints_json_and_writes_plots(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "mfopt", "benchmark", "gradient-only", "--trials", "3", "--seed", "2"]
    out = subprocess.run([*cmd, "--json", "--plots", str(tmp_path)], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["settings"]["seed"] == 2 and len(result["rows"]) == 36
    assert result["rows"] == go.run(go.Settings(trials=3, seed=2))["rows"]
    assert len(result["plots"]) == 6
    for path in result["plots"]:
        assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_command_table_and_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["benchmark", "gradient-only", "--trials", "2"]) == 0
    table = capsys.readouterr().out
    assert "c-signs" in table and "full" in table and "2 trials per batch size, seed 0" in table
    assert main(["benchmark", "gradient-only", "--trials", "0"]) == 2
    assert "trials must be >= 1" in capsys.readouterr().err
