"""Stopping conditions: small objects that look at a :class:`~mfopt.state.StudyState` and say
why the study must stop (a short reason) or ``None``. Combine them with ``|`` (any holds) and
``&`` (all hold), as Emukit's ``StoppingCondition`` does::

    stop = Budget(20.0, min_cost=0.1) | MaxEvaluations(40) | NoImprovement(8)

The study checks its condition before each proposal; evaluations already in flight finish and
are recorded.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from mfopt.config import BudgetSection
from mfopt.state import StudyState

EPS = 1e-9


class StoppingCondition(ABC):
    """Says why a study must stop now, or None."""

    @abstractmethod
    def reason(self, state: StudyState) -> str | None:
        """A short reason (``"budget"``, ``"target"``...) when the study must stop, else None."""

    def __or__(self, other: StoppingCondition) -> StoppingCondition:
        return AnyOf((self, other))

    def __and__(self, other: StoppingCondition) -> StoppingCondition:
        return AllOf((self, other))


@dataclass(frozen=True)
class AnyOf(StoppingCondition):
    """Stops when any part holds; the reason is the first part's that holds."""

    parts: tuple[StoppingCondition, ...]

    def reason(self, state: StudyState) -> str | None:
        return next((r for p in self.parts if (r := p.reason(state)) is not None), None)


@dataclass(frozen=True)
class AllOf(StoppingCondition):
    """Stops when every part holds; the reason joins theirs with ``+``."""

    parts: tuple[StoppingCondition, ...]

    def reason(self, state: StudyState) -> str | None:
        reasons = [p.reason(state) for p in self.parts]
        return None if any(r is None for r in reasons) else "+".join(r for r in reasons if r)


@dataclass(frozen=True)
class Budget(StoppingCondition):
    """Stops when what is left of ``total`` cost units (after finished and pending evaluations)
    cannot pay for one more evaluation of the cheapest fidelity, ``min_cost``."""

    total: float
    min_cost: float

    def reason(self, state: StudyState) -> str | None:
        return "budget" if self.total - state.cost_committed < self.min_cost - EPS else None


@dataclass(frozen=True)
class MaxEvaluations(StoppingCondition):
    """Stops when ``limit`` evaluations are recorded (finished or pending)."""

    limit: int

    def reason(self, state: StudyState) -> str | None:
        return "max_evaluations" if state.n_committed >= self.limit else None


@dataclass(frozen=True)
class Target(StoppingCondition):
    """Stops when the best target-fidelity value is at or below ``value``."""

    value: float

    def reason(self, state: StudyState) -> str | None:
        best = state.best()
        return "target" if best is not None and best.value is not None and best.value <= self.value else None


@dataclass(frozen=True)
class WallTime(StoppingCondition):
    """Stops after ``seconds`` of wall time (a resumed run counts the time of its earlier parts)."""

    seconds: float

    def reason(self, state: StudyState) -> str | None:
        return "wall_time" if state.elapsed >= self.seconds else None


@dataclass(frozen=True)
class NoImprovement(StoppingCondition):
    """Stops when the last ``patience`` iterations found no better target-fidelity value.

    An iteration is one proposal (the initial design is iteration 0). The count runs from the
    iteration that proposed the current best point (0 while none is better than the design's) to
    the last iteration with a finished evaluation.
    """

    patience: int

    def reason(self, state: StudyState) -> str | None:
        best = state.best()
        if best is None:
            return None
        last = max((o.iteration for o in state.observations), default=0)
        return "no_improvement" if last - best.iteration >= self.patience else None


def from_budget(budget: BudgetSection, min_cost: float) -> StoppingCondition:
    """The condition ``[budget]`` describes: each key that is set, combined with ``|``."""
    parts: list[StoppingCondition] = []
    if budget.total is not None:
        parts.append(Budget(budget.total, min_cost))
    if budget.max_evaluations is not None:
        parts.append(MaxEvaluations(budget.max_evaluations))
    if budget.target is not None:
        parts.append(Target(budget.target))
    if budget.wall_time is not None:
        parts.append(WallTime(budget.wall_time))
    if budget.patience is not None:
        parts.append(NoImprovement(budget.patience))
    return AnyOf(tuple(parts))
