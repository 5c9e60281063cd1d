"""A JSON-lines trail of a study, for external trackers (one JSON object per line).

Enabled from problem.toml::

    [observers]
    jsonl = "trail.jsonl"     # relative to the working directory; appended to across resumes

Every line has ``event`` (``study_start``, ``candidate``, ``decision``, ``evaluation``,
``study_end``), ``study_id`` and ``time`` (Unix seconds). A ``candidate`` line is one recorded
proposal (``id``, ``iteration``, ``fidelity``, ``params``, ``x``); a ``decision`` line is one gate
decision (``iteration``, ``source``, ``target``, ``use_low``, ``rule``, ``reason``, ``features``,
``detector``); an ``evaluation`` line is one finished evaluation (``id``, ``fidelity``, ``value``,
``status``, ``cost``, ``duration``, ``error``, ``params``); ``study_end`` carries the stop reason,
the best target value and the cost per fidelity. Each line is written and flushed when its hook
fires, so a tracker can tail the file while the study runs, and a killed study leaves only whole lines.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mfopt import Candidate, Decision, Observation


def trail_path(study: Any) -> Path | None:
    """The file named by ``[observers] jsonl`` in the study's config, or None when not enabled."""
    observers = getattr(getattr(study, "config", None), "observers", None) or {}
    path = observers.get("jsonl") if isinstance(observers, Mapping) else None
    return Path(str(path)).expanduser() if path else None


def _number(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None


def _params(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if params is None else dict(params)


def write(study: Any, event: str, **fields: Any) -> None:
    """Append one line for ``event`` if the study enabled the trail."""
    path = trail_path(study)
    if path is None:
        return
    line = {"event": event, "study_id": study.study_id, "time": time.time(), **fields}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(line, allow_nan=False, default=str) + "\n")


def candidate_fields(c: Candidate) -> dict[str, Any]:
    return {"id": c.id, "iteration": c.iteration, "fidelity": c.fidelity, "params": _params(c.params), "x": list(c.x)}


def decision_fields(d: Decision, iteration: int) -> dict[str, Any]:
    return {
        "iteration": iteration,
        "source": d.source,
        "target": d.target,
        "use_low": d.use_low,
        "rule": d.rule,
        "reason": d.reason,
        "features": {k: _number(float(v)) for k, v in d.features.items()},
        "detector": d.detector,
    }


def observation_fields(o: Observation) -> dict[str, Any]:
    return {
        "id": o.id,
        "iteration": o.iteration,
        "fidelity": o.fidelity,
        "value": _number(o.value),
        "status": str(o.status),
        "cost": o.cost,
        "duration": o.duration,
        "error": o.error,
        "params": _params(o.params),
    }


def on_propose(study: Any, candidates: Sequence[Candidate], decisions: Sequence[Decision]) -> None:
    iteration = candidates[0].iteration if candidates else study.iteration
    for d in decisions:
        write(study, "decision", **decision_fields(d, iteration))
    for c in candidates:
        write(study, "candidate", **candidate_fields(c))
