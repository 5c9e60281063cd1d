"""Entry point of the first-party observers plugin (``[project.entry-points.mfopt] observers``).

Each hook receives a frozen :class:`mfopt.state.StudyState`; the JSON-lines trail is written only
when the study's config has ``[observers] jsonl = "path"``. The trail module is imported when a
hook first fires (during a study), so listing plugins does not import the study's data types.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mfopt.plugin import hookimpl

if TYPE_CHECKING:
    from mfopt import Candidate, Decision, Observation


@hookimpl
def mfopt_study_start(study: Any) -> None:
    from mfopt_observers import jsonl

    if jsonl.trail_path(study) is None:  # not enabled: touch nothing of the snapshot
        return
    jsonl.write(study, "study_start", problem=study.problem, fidelities=[
        {"name": f.name, "level": f.level, "cost": f.cost} for f in study.fidelities
    ], iteration=study.iteration, evaluations=len(study.observations))  # fmt: skip


@hookimpl
def mfopt_after_propose(study: Any, candidates: Sequence[Candidate], decisions: Sequence[Decision]) -> None:
    from mfopt_observers import jsonl

    jsonl.on_propose(study, candidates, decisions)


@hookimpl
def mfopt_after_evaluate(study: Any, observations: Sequence[Observation]) -> None:
    from mfopt_observers import jsonl

    for o in observations:
        jsonl.write(study, "evaluation", **jsonl.observation_fields(o))


@hookimpl
def mfopt_study_end(study: Any, result: Any) -> None:
    from mfopt_observers import jsonl

    best = result.best
    jsonl.write(
        study,
        "study_end",
        stop_reason=result.stop_reason,
        best_value=None if best is None else best.value,
        best_params=None if best is None or best.params is None else dict(best.params),
        cost_by_fidelity={name: u.cost for name, u in result.usage.items()},
        evaluations=result.evaluations,
    )
