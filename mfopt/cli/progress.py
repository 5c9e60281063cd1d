"""A rich progress bar for ``mfopt optimize``, attached to a study as an observer plugin."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from mfopt.data import Observation
from mfopt.plugin import hookimpl


class ProgressObserver:
    """Shows evaluations, cost spent (of the budget) and the best high-fidelity value so far."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._task: Any = None

    def _status(self, study: Any) -> dict[str, Any]:
        result = study.result()
        best = result.best.value if result.best is not None else None
        budget = study.config.budget
        limit = f"/{budget.total:g}" if budget.total is not None else ""
        best_text = f"{best:.6g}" if best is not None else "-"
        status = f"evals {result.evaluations}  cost {result.cost_spent:.4g}{limit}  best HF {best_text}"
        if budget.total is not None:
            return {"completed": result.cost_spent, "total": budget.total, "status": status}
        return {"completed": result.evaluations, "total": budget.max_evaluations, "status": status}

    @hookimpl
    def mfopt_study_start(self, study: Any) -> None:
        self._progress.start()
        self._task = self._progress.add_task("optimize", **self._status(study))

    @hookimpl
    def mfopt_after_evaluate(self, study: Any, observations: Sequence[Observation]) -> None:
        if self._task is not None:
            self._progress.update(self._task, **self._status(study))

    @hookimpl
    def mfopt_study_end(self, study: Any, result: Any) -> None:
        self.stop()

    def stop(self) -> None:
        if self._task is not None:
            self._progress.stop()
            self._task = None
