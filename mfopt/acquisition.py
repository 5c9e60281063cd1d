"""The :class:`Acquisition` contract: where to evaluate next, and at which fidelity."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from torch import Tensor

from mfopt.data import Candidate, Dataset, Fidelity
from mfopt.surrogate import FittedSurrogate


@dataclass(frozen=True)
class ProposalContext:
    """What an acquisition may use besides the model and the data.

    ``fidelities``: the sources it may propose this iteration (the target always among them, the
    cheap ones only while the gate lets them through), ordered by level.
    ``remaining_budget``: cost units left; proposals costing more are dropped by the loop.
    """

    bounds: Tensor
    fidelities: tuple[Fidelity, ...]
    q: int
    remaining_budget: float
    seed: int
    iteration: int

    @property
    def target(self) -> Fidelity:
        return self.fidelities[-1]


class Acquisition(ABC):
    """Proposes up to ``context.q`` candidates from a fitted surrogate."""

    @abstractmethod
    def propose(self, model: FittedSurrogate, data: Dataset, context: ProposalContext) -> list[Candidate]:
        """Candidates inside ``context.bounds`` at fidelities from ``context.fidelities``."""
