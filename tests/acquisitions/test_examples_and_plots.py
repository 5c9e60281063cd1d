"""The multi-fidelity examples run end to end through the CLI; ``mfopt report --plot`` writes PNGs."""

from __future__ import annotations

import tomllib
from pathlib import Path

import matplotlib.image
import pytest

from mfopt import load_config
from mfopt.cli import main
from mfopt.plots import FILES
from mfopt.report import load_run

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NAMES = ["mf_augmented_ei", "mf_kg", "mf_mes", "mf_logei_hf_only"]


def small_copy(name: str, tmp_path: Path) -> Path:
    """The example with a budget of the design plus about two HF evaluations and cheap optimiser settings."""
    text = (EXAMPLES / f"{name}.toml").read_text()
    config = load_config(EXAMPLES / f"{name}.toml")  # the shipped file itself is valid
    total = 6.8 if config.multi_surrogate is not None else 6.0
    lines = []
    for line in text.splitlines():
        if line.startswith(("num_fantasies", "candidates")):
            continue
        lines.append(f"total = {total}" if line.startswith("total =") else line)
        if line.startswith(f'name = "{config.acquisition.name}"'):
            lines.append("num_restarts = 2\nraw_samples = 32")
            if config.acquisition.name in ("mf-kg", "mf-mes"):
                lines.append("num_fantasies = 2\nmaxiter = 10")
    path = tmp_path / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n")
    assert tomllib.loads(path.read_text())["budget"]["total"] == total
    return path


@pytest.mark.parametrize("name", NAMES)
def test_example_runs_end_to_end(name: str, tmp_path: Path) -> None:
    run = tmp_path / "run"
    path = small_copy(name, tmp_path)
    assert main(["optimize", str(path), "--quiet", "--run-dir", str(run)]) == 0
    result, store = load_run(run)
    store.close()
    assert result.best is not None and result.best.fidelity == "high"
    assert result.iterations >= 1
    assert result.cost_spent <= tomllib.loads(path.read_text())["budget"]["total"] + 1e-9


def test_report_plot_writes_three_pngs(tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert main(["optimize", str(small_copy("mf_augmented_ei", tmp_path)), "--quiet", "--run-dir", str(run)]) == 0
    out = tmp_path / "plots"
    assert main(["report", str(run), "--plot", "--plot-dir", str(out)]) == 0
    for name in FILES:
        path = out / name
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        image = matplotlib.image.imread(path)
        assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
