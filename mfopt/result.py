"""The outcome of a study, computed from its observations alone (so a run store can be reported
without the plugins that produced it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from mfopt.data import Observation, Status


@dataclass(frozen=True)
class FidelityUsage:
    ok: int = 0
    failed: int = 0
    pending: int = 0
    cost: float = 0.0


@dataclass(frozen=True)
class StudyResult:
    """Best high-fidelity point (never a point seen only at a cheap fidelity), spending and status."""

    target: str
    best: Observation | None
    cost_spent: float
    budget: float | None
    stop_reason: str
    usage: dict[str, FidelityUsage] = field(default_factory=dict)
    iterations: int = 0
    run_dir: str | None = None

    @property
    def evaluations(self) -> int:
        return sum(u.ok + u.failed for u in self.usage.values())

    def to_dict(self) -> dict[str, Any]:
        best = None
        if self.best is not None:
            best = {
                "x": list(self.best.x),
                "value": self.best.value,
                "fidelity": self.best.fidelity,
                "id": self.best.id,
                "params": dict(self.best.params) if self.best.params is not None else None,
            }
        return {
            "run_dir": self.run_dir,
            "target_fidelity": self.target,
            "best": best,
            "cost_spent": self.cost_spent,
            "budget": self.budget,
            "stop_reason": self.stop_reason,
            "iterations": self.iterations,
            "evaluations": self.evaluations,
            "per_fidelity": {name: asdict(u) for name, u in self.usage.items()},
        }


def summarize(
    observations: Sequence[Observation],
    fidelities: Sequence[str],
    target: str,
    budget: float | None,
    stop_reason: str,
    iterations: int = 0,
    run_dir: str | None = None,
) -> StudyResult:
    """Summarise observations (pending ones count as committed, not spent)."""
    usage: dict[str, dict[str, float]] = {f: {"ok": 0, "failed": 0, "pending": 0, "cost": 0.0} for f in fidelities}
    for o in observations:
        u = usage.setdefault(o.fidelity, {"ok": 0, "failed": 0, "pending": 0, "cost": 0.0})
        u[o.status.value] += 1
        if o.status is not Status.PENDING:
            u["cost"] += o.cost
    hf = [o for o in observations if o.fidelity == target and o.ok and o.value is not None]
    best = min(hf, key=lambda o: o.value if o.value is not None else float("inf")) if hf else None
    return StudyResult(
        target=target,
        best=best,
        cost_spent=sum(u["cost"] for u in usage.values()),
        budget=budget,
        stop_reason=stop_reason,
        usage={
            k: FidelityUsage(int(v["ok"]), int(v["failed"]), int(v["pending"]), float(v["cost"]))
            for k, v in usage.items()
        },
        iterations=iterations,
        run_dir=run_dir,
    )
