"""The frozen snapshot of a study: what a strategy proposes from and what an observer sees.

A :class:`StudyState` is built by the study from its run store at one instant and never changes
afterwards (like Optuna's ``FrozenTrial``): a strategy or an observer that keeps one keeps that
instant, and nothing it does to it reaches the study.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from torch import Tensor

from mfopt.data import Candidate, Dataset, Fidelity, Observation, Status, find_fidelity
from mfopt.result import StudyResult, summarize

if TYPE_CHECKING:
    from mfopt.config import StudyConfig


@dataclass(frozen=True)
class StudyState:
    """One instant of a study.

    ``fidelities``: the sources the strategy uses, ordered by level (the last is the target), with
    their costs. ``observations``: every finished evaluation (failed ones included) in store order.
    ``pending``: candidates recorded but not finished (in flight on a worker, queued, or asked and
    not yet told); a strategy proposing while some are pending should condition on them.
    ``remaining_budget``: cost units left after every finished and pending evaluation (``inf``
    without ``[budget].total``); ``evaluations_left``: the same for ``[budget].max_evaluations``.
    ``iteration``: the number the next proposal gets (the initial design is iteration 0);
    ``seed``: the seed for that proposal, derived from ``run_seed`` and ``iteration``.
    """

    study_id: str
    config: StudyConfig
    problem: str
    bounds: Tensor
    fidelities: tuple[Fidelity, ...]
    observations: tuple[Observation, ...]
    pending: tuple[Candidate, ...]
    cost_committed: float
    remaining_budget: float
    evaluations_left: float
    iteration: int
    seed: int
    run_seed: int
    device: str
    elapsed: float
    stop_reason: str | None = None
    run_dir: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "bounds", self.bounds.detach().clone())

    @property
    def dim(self) -> int:
        return int(self.bounds.shape[1])

    @property
    def target(self) -> Fidelity:
        return self.fidelities[-1]

    @property
    def n_committed(self) -> int:
        """Evaluations recorded in the store, finished or pending."""
        return len(self.observations) + len(self.pending)

    def fidelity(self, name: str) -> Fidelity:
        return find_fidelity(self.fidelities, name, "the study")

    def by_fidelity(self, name: str) -> tuple[Observation, ...]:
        """Finished observations at fidelity ``name`` (failed ones included)."""
        return tuple(o for o in self.observations if o.fidelity == name)

    def dataset(self) -> Dataset:
        """A new :class:`Dataset` of the finished observations (the caller may change it freely)."""
        return Dataset(self.bounds.clone(), self.fidelities, list(self.observations))

    def best(self) -> Observation | None:
        """The best successful observation at the target (the recommendation)."""
        hf = [o for o in self.observations if o.fidelity == self.target.name and o.ok and o.value is not None]
        return min(hf, key=lambda o: o.value if o.value is not None else math.inf) if hf else None

    def result(self) -> StudyResult:
        """The study's result at this instant (pending evaluations count as committed, not spent)."""
        pending = [
            Observation(c.x, c.fidelity, None, Status.PENDING, self.fidelity(c.fidelity).cost, id=c.id)
            for c in self.pending
        ]
        return summarize(
            [*self.observations, *pending],
            [f.name for f in self.fidelities],
            self.target.name,
            self.config.budget.total,
            self.stop_reason or "running",
            max(0, self.iteration - 1),
            self.run_dir,
        )
