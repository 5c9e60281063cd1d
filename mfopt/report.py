"""Reading a run store back: the result summary and the gate's decisions, plugin-free."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mfopt.result import StudyResult, summarize
from mfopt.store import RunStore


def load_run(run_dir: str | Path) -> tuple[StudyResult, RunStore]:
    """The result of the run in ``run_dir`` (read-only use) and its open store."""
    store = RunStore.open(run_dir, lock=False)  # a reader: works while the run is going on
    meta = store.meta()
    fidelities = [f["name"] for f in meta.get("fidelities", [])]
    budget = meta.get("config", {}).get("budget", {}).get("total")
    iterations = max([it["iteration"] for it in store.iterations()] or [0])
    result = summarize(
        store.observations(include_pending=True),
        fidelities,
        meta["target"],
        budget,
        meta.get("stop_reason", meta.get("status", "unknown")),
        iterations,
        str(run_dir),
    )
    return result, store


def decision_rows(store: RunStore) -> list[dict[str, Any]]:
    """One row per gate decision: iteration, source, verdict, rule, reason, cost spent so far."""
    observations = store.observations()
    rows = []
    for record in store.decisions():
        d = record.decision
        spent = sum(o.cost for o in observations if o.iteration < record.iteration)
        rows.append(
            {
                "iteration": record.iteration,
                "source": d.source,
                "target": d.target,
                "detector": d.detector,
                "use_low": d.use_low,
                "rule": d.rule,
                "reason": d.reason,
                "cost_before": spent,
                "features": dict(d.features),
            }
        )
    return rows
