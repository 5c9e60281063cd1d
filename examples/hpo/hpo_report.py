"""What both HPO examples share: a task's two fidelities for mfopt, and what they print (the best
configuration, the cost per fidelity, the gate's decisions)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from tasks import Task

CHEAP_COST = 0.1  # a short training costs 0.1 cost units, the full one 1


def fidelities(task: Task) -> list[dict[str, Any]]:
    """The task's fidelities as mfopt takes them (cheap first, the full training last)."""
    (cheap, low), (full, high) = task.levels.items()
    return [{"name": cheap, "level": low, "cost": CHEAP_COST}, {"name": full, "level": high, "cost": 1.0}]


def report(
    task: str,
    best: Mapping[str, Any],
    spent: Mapping[str, float],
    seconds: Mapping[str, float],
    decisions: Sequence[Mapping[str, Any]],
    fidelities: Sequence[str],
) -> str:
    """The printed summary (also returned). ``best``: ``value``, ``params`` and optionally
    ``trial`` (an Optuna trial number); ``fidelities``: cheap first, the target last."""
    cheap, full = fidelities[0], fidelities[-1]
    where = f" (trial {best['trial']})" if best.get("trial") is not None else ""
    lines = [f"task {task}: best validation error {best['value']:.4f} at {full} with {dict(best['params'])}{where}"]
    lines += [f"  {n}: {spent.get(n, 0.0):.2f} cost units, {seconds.get(n, 0.0):.2f} s of training" for n in fidelities]
    lines.append(f"  gate: {len(decisions)} decisions")
    rules = Counter((bool(d["use_low"]), str(d["rule"])) for d in decisions)
    lines += [f"    {n} x {'use' if use else 'ignore'} {cheap}: {rule}" for (use, rule), n in rules.most_common()]
    text = "\n".join(lines)
    print(text)
    return text
