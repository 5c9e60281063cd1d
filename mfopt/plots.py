"""Plots of a run store (matplotlib, Agg backend): best HF value vs cost, cost per fidelity, the gate.

Reads only the run store (through :mod:`mfopt.report` / :mod:`mfopt.store`), so it works on any
finished or interrupted run. :func:`write_plots` writes three PNGs and returns their paths:

- ``best_vs_cost.png``: the best high-fidelity value found against the cumulative cost spent (all
  fidelities, in evaluation order), one marker per high-fidelity evaluation;
- ``cost_per_fidelity.png``: cumulative cost spent at each fidelity against the iteration
  (iteration 0 = the initial design);
- ``gate.png``: top, the gate's state (open / closed) for each cheap source against the cost spent
  before each decision; bottom, the share of the cost spent so far that went to the cheap sources,
  against the cost spent.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from mfopt.data import Observation, Status
from mfopt.report import decision_rows, load_run

FILES = ("best_vs_cost.png", "cost_per_fidelity.png", "gate.png")


def best_curve(observations: Sequence[Observation], target: str) -> tuple[list[float], list[float]]:
    """(cumulative cost at each successful target evaluation, best target value so far)."""
    spent, costs, best = 0.0, [], []
    current = float("inf")
    for o in sorted(observations, key=lambda o: o.id or 0):
        spent += o.cost
        if o.fidelity == target and o.status is Status.OK and o.value is not None:
            current = min(current, o.value)
            costs.append(spent)
            best.append(current)
    return costs, best


def cost_by_iteration(observations: Sequence[Observation], fidelities: Sequence[str]) -> dict[str, list[float]]:
    """Cumulative cost per fidelity after each iteration ``0..max``."""
    last = max((o.iteration for o in observations), default=0)
    out = {}
    for f in fidelities:
        per = [0.0] * (last + 1)
        for o in observations:
            if o.fidelity == f:
                per[o.iteration] += o.cost
        total, cumulative = 0.0, []
        for c in per:
            total += c
            cumulative.append(total)
        out[f] = cumulative
    return out


def gate_states(decisions: Sequence[dict[str, Any]], source: str) -> list[tuple[float, bool]]:
    """(cost spent before the decision, gate open) for each decision on ``source``, in order."""
    rows = sorted((d for d in decisions if d["source"] == source), key=lambda d: d["iteration"])
    return [(float(d["cost_before"]), bool(d["use_low"])) for d in rows]


def cheap_share_curve(observations: Sequence[Observation], target: str) -> tuple[list[float], list[float]]:
    """(cumulative cost after each evaluation, share of it spent on the cheap sources), in
    evaluation order."""
    spent = cheap = 0.0
    costs, shares = [], []
    for o in sorted(observations, key=lambda o: o.id or 0):
        spent += o.cost
        if o.fidelity != target:
            cheap += o.cost
        costs.append(spent)
        shares.append(cheap / spent if spent > 0 else 0.0)
    return costs, shares


def write_plots(run_dir: str | Path, out_dir: str | Path | None = None) -> list[Path]:
    """Write the three PNGs of the run in ``run_dir`` into ``out_dir`` (default ``run_dir``)."""
    _, store = load_run(run_dir)
    try:
        meta = store.meta()
        observations = store.observations()
        decisions = decision_rows(store)
    finally:
        store.close()
    target = meta["target"]
    fidelities = [f["name"] for f in meta.get("fidelities", [])]
    out = Path(out_dir) if out_dir is not None else Path(run_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / name for name in FILES]

    fig, ax = plt.subplots(figsize=(6, 4))
    costs, best = best_curve(observations, target)
    ax.step(costs, best, where="post", marker="o", markersize=3)
    ax.set(xlabel="cost spent (all fidelities)", ylabel=f"best {target} value", title=str(meta.get("problem", "")))
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(paths[0], dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, series in cost_by_iteration(observations, fidelities).items():
        ax.plot(range(len(series)), series, marker=".", label=name)
    ax.set(xlabel="iteration (0 = initial design)", ylabel="cumulative cost", title="cost spent per fidelity")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(paths[1], dpi=100)
    plt.close(fig)

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 5), sharex=True, height_ratios=(1, 2))
    sources = sorted({d["source"] for d in decisions})
    for k, source in enumerate(sources):
        rows = gate_states(decisions, source)
        top.step(
            [c for c, _ in rows], [1 if u else 0 for _, u in rows], where="post", marker="os^v"[k % 4], label=source
        )
    top.set_yticks([0, 1], ["closed", "open"])
    top.set_ylim(-0.3, 1.3)
    top.set_title("low-fidelity gate" if decisions else "low-fidelity gate (no decisions: HF only)")
    if sources:
        top.legend(fontsize="small")
    top.grid(alpha=0.3)
    spent, shares = cheap_share_curve(observations, target)
    bottom.plot(spent, shares, marker=".", color="tab:orange")
    bottom.set(xlabel="cost spent (all fidelities)", ylabel="cheap-source share of cost", ylim=(-0.02, 1.02))
    bottom.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(paths[2], dpi=100)
    plt.close(fig)
    return paths
