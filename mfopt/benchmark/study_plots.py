"""The study's PNG plots (matplotlib, Agg backend).

- ``good_share.png``: for each of ``B_h^r``, ``B^r``, ``LCC_0.4``, ``LCC_0.95``, ``R̄²_L`` and
  ``CC`` (the paper's Figures 7-12 style), the instances binned by the feature (averaged over the
  repetitions; one bin per value when there are at most 6 distinct values, else 6 equal-count
  bins) and the share of each bin where
  Kriging is good and where Co-Kriging is good.
- ``instance_space.png``: the Eq. 21 projection (:mod:`mfopt.benchmark.projection`), one panel
  coloured by the label class and one per detector coloured by its majority decision over the
  repetitions (its regions of "use the cheap source").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from mfopt.benchmark.analysis import IGNORE, USE, InstanceResult
from mfopt.benchmark.linear_model import LinearDetector
from mfopt.benchmark.projection import project

BINNED: tuple[tuple[str, str], ...] = (
    ("B_h_r", "B_h^r = n_h/d"),
    ("B_r", "B^r = n_h/n_l"),
    ("LCC_root_0.4", "LCC_0.4 (r = 0.2^(1/d))"),
    ("LCC_root_0.95", "LCC_0.95 (r = 0.2^(1/d))"),
    ("R2_L", "adj. R2_L of f_h - f_l"),
    ("CC", "CC"),
)
CLASS_COLOURS = {IGNORE: "tab:red", USE: "tab:blue", "both": "tab:green", "neither": "tab:gray"}


def _bins(values: np.ndarray, n_bins: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """``(bin index per value, bin centres)``: one bin per distinct value when there are at most
    ``n_bins`` of them, else equal-count bins (quantile edges)."""
    distinct = np.unique(values)
    if len(distinct) <= n_bins:
        return np.searchsorted(distinct, values), distinct
    edges = np.unique(np.quantile(values, np.linspace(0.0, 1.0, n_bins + 1)))
    which = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 2)
    return which, 0.5 * (edges[:-1] + edges[1:])


def good_share(instances: Sequence[InstanceResult], path: Path) -> Path:
    """Write the binned good-share plot to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labelled = [i for i in instances if i.label is not None]
    feats = [i.mean_features() for i in labelled]
    fig, axes = plt.subplots(2, 3, figsize=(13, 7), constrained_layout=True)
    for ax, (name, title) in zip(axes.flat, BINNED, strict=True):
        x = np.array([f.get(name, np.nan) for f in feats], dtype=np.float64)
        ok = np.isfinite(x)
        ax.set_title(title)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("share of instances where good")
        if not ok.any():
            ax.text(0.5, 0.5, "no finite values", ha="center", transform=ax.transAxes)
            continue
        which, bin_centres = _bins(x[ok])
        centres, k_share, c_share, counts = [], [], [], []
        inst_ok = [inst for inst, keep in zip(labelled, ok, strict=True) if keep]
        for b, centre in enumerate(bin_centres):
            members = [inst for inst, w in zip(inst_ok, which, strict=True) if w == b]
            if not members:
                continue
            centres.append(float(centre))
            k_share.append(np.mean([m.label.a_good for m in members if m.label]))
            c_share.append(np.mean([m.label.b_good for m in members if m.label]))
            counts.append(len(members))
        ax.plot(centres, k_share, "o-", color="tab:red", label="Kriging good")
        ax.plot(centres, c_share, "s-", color="tab:blue", label="Co-Kriging good")
        for cx, n in zip(centres, counts, strict=True):
            ax.annotate(str(n), (cx, 0.02), ha="center", fontsize=7, color="0.4")
        ax.set_xlabel(f"{name} (bin centre; grey: instances per bin)")
        ax.legend(fontsize=8)
    fig.suptitle(f"Share of instances where each model is good ({len(labelled)} labelled instances)")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def instance_space(
    instances: Sequence[InstanceResult], path: Path, extra: Mapping[str, LinearDetector] | None = None
) -> Path:
    """Write the Eq. 21 instance-space plot (labels and each detector's regions) to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labelled = [i for i in instances if i.label is not None]
    Z = project([i.mean_features() for i in labelled])
    detectors = sorted({k for i in labelled for d in i.decisions for k in d} | set(extra or {}))
    panels = 1 + len(detectors)
    cols = min(4, panels)
    rows = (panels + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.8 * rows), squeeze=False, constrained_layout=True)
    ax = axes.flat[0]
    classes = [i.label_class() for i in labelled]
    for cls, colour in CLASS_COLOURS.items():
        mask = np.array([c == cls for c in classes], dtype=bool)
        if mask.any():
            ax.scatter(Z[mask, 0], Z[mask, 1], s=12, color=colour, label=f"{cls} good ({mask.sum()})")
    ax.set_title("label (which model is good)")
    ax.legend(fontsize=7)
    for ax, name in zip(list(axes.flat)[1:], detectors, strict=False):
        share = []
        for inst in labelled:
            votes: list[bool | None]
            if extra and name in extra:
                votes = [extra[name].use_low(f) for f in inst.features]
            else:
                votes = [d.get(name) for d in inst.decisions]
            decided = [v for v in votes if v is not None]
            share.append(np.mean(decided) if decided else np.nan)
        s = np.array(share, dtype=np.float64)
        use = s >= 0.5
        ax.scatter(Z[use, 0], Z[use, 1], s=12, color="tab:blue", label="use source (Co-Kriging)")
        ax.scatter(Z[~use, 0], Z[~use, 1], s=12, color="tab:red", label="ignore (Kriging)")
        ax.set_title(f"detector {name}")
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[panels:]:
        ax.axis("off")
    for ax in list(axes.flat)[:panels]:
        ax.set_xlabel("z1")
        ax.set_ylabel("z2")
    fig.suptitle("Instance space (Andrés-Thió et al. 2024, Eq. 21)")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
