"""Plain typed data shared by the loop and every plugin: fidelities, candidates, observations,
gate decisions and the dataset they accumulate into.

Tensors handed out by :class:`Dataset` are float64 with shapes stated in each docstring
(``n x d`` inputs, ``n`` outputs), in the problem's original units.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import torch
from torch import Tensor

DTYPE = torch.float64


@dataclass(frozen=True)
class Fidelity:
    """One information source of a problem.

    ``level`` orders the sources (the highest is the target, the expensive truth) and may be any
    positive number (a number of epochs, a mesh size); ``cost`` is what one evaluation spends from
    the budget (HF = 1 unless stated). Models see levels through :func:`normalise_levels`.
    """

    name: str
    level: float
    cost: float = 1.0

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a fidelity needs a non-empty name")
        if not (self.level > 0.0 and math.isfinite(self.level)):
            raise ValueError(f"fidelity {self.name!r}: level must be a positive number, got {self.level}")
        if not (self.cost > 0.0 and math.isfinite(self.cost)):
            raise ValueError(f"fidelity {self.name!r}: cost must be a positive number, got {self.cost}")


def order_fidelities(fidelities: Iterable[Fidelity]) -> tuple[Fidelity, ...]:
    """Sort by level (ascending: the last one is the target) and reject duplicate names or levels."""
    ordered = tuple(sorted(fidelities, key=lambda f: f.level))
    if not ordered:
        raise ValueError("a problem needs at least one fidelity")
    names = [f.name for f in ordered]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate fidelity names: {names}")
    levels = [f.level for f in ordered]
    if len(set(levels)) != len(levels):
        raise ValueError(f"two fidelities share a level: {levels}")
    return ordered


def normalise_levels(fidelities: Sequence[Fidelity]) -> tuple[Fidelity, ...]:
    """The fidelities with each level divided by the highest, so that levels lie in (0, 1] and the
    target's is 1: what models see (e.g. epochs 3 and 27 become 1/9 and 1). Identity when the
    highest level is already 1."""
    top = max(f.level for f in fidelities)
    return tuple(replace(f, level=f.level / top) for f in fidelities)


def find_fidelity(fidelities: Sequence[Fidelity], name: str, owner: str) -> Fidelity:
    """The fidelity called ``name``; a KeyError naming ``owner`` and the known names otherwise."""
    for f in fidelities:
        if f.name == name:
            return f
    raise KeyError(f"{owner} has no fidelity {name!r}; it has {[f.name for f in fidelities]}")


class FidelityBox:
    """What a problem and a dataset share: a box (``bounds``, ``2 x d``) and fidelities ordered by
    level, the last one the target."""

    bounds: Tensor
    fidelities: tuple[Fidelity, ...]

    @property
    def dim(self) -> int:
        return int(self.bounds.shape[1])

    @property
    def target(self) -> Fidelity:
        return self.fidelities[-1]

    def fidelity(self, name: str) -> Fidelity:
        """The fidelity called ``name``; a KeyError naming the known ones otherwise."""
        return find_fidelity(self.fidelities, name, self._owner())

    def _owner(self) -> str:
        return type(self).__name__


class Status(StrEnum):
    """Life cycle of one evaluation in the run store."""

    PENDING = "pending"  # proposed and recorded, not finished (re-run on resume)
    OK = "ok"
    FAILED = "failed"


@dataclass(frozen=True)
class Candidate:
    """A point to evaluate at a given fidelity. ``id`` is the run-store row once recorded.

    ``x`` is the encoded vector in the model box; ``params`` the same point as named values
    (see :class:`~mfopt.space.SearchSpace`), None until the study decodes it.
    """

    x: tuple[float, ...]
    fidelity: str
    id: int | None = None
    iteration: int = 0
    params: Mapping[str, Any] | None = field(default=None, hash=False)
    #: the id of the study that asked it (set by ``Study.ask``; ``tell`` refuses another study's)
    study: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Observation:
    """The outcome of evaluating a candidate. ``value`` is None when ``status`` is FAILED."""

    x: tuple[float, ...]
    fidelity: str
    value: float | None
    status: Status = Status.OK
    cost: float = 0.0
    gradient: tuple[float, ...] | None = None
    error: str | None = None
    id: int | None = None
    iteration: int = 0
    duration: float = 0.0
    #: the point as named values (:class:`Candidate.params`), when known
    params: Mapping[str, Any] | None = field(default=None, hash=False)

    @property
    def ok(self) -> bool:
        return self.status is Status.OK


@dataclass(frozen=True)
class Decision:
    """A low-fidelity-harm detector's verdict on one cheap source, with its audit trail.

    ``features`` are the sample features the rule looked at, ``rule`` names the rule that fired
    and ``reason`` is one sentence a practitioner can read.
    """

    use_low: bool
    features: Mapping[str, float]
    rule: str
    reason: str
    source: str = ""
    target: str = ""
    detector: str = ""


@dataclass
class Dataset(FidelityBox):
    """All observations of a study, keyed by fidelity.

    ``bounds`` is a ``2 x d`` float64 tensor (row 0 lower, row 1 upper); ``fidelities`` is ordered
    by level, the last being the target (high fidelity).
    """

    bounds: Tensor
    fidelities: tuple[Fidelity, ...]
    observations: list[Observation] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.bounds = torch.as_tensor(self.bounds, dtype=DTYPE)
        if self.bounds.ndim != 2 or self.bounds.shape[0] != 2:
            raise ValueError(f"bounds must be a 2 x d tensor, got shape {tuple(self.bounds.shape)}")
        self.fidelities = order_fidelities(self.fidelities)

    def _owner(self) -> str:
        return "the dataset"

    def successful(self, fidelity: str | None = None) -> list[Observation]:
        """Observations with a value, optionally of one fidelity only."""
        return [o for o in self.observations if o.ok and (fidelity is None or o.fidelity == fidelity)]

    def tensors(self, fidelity: str, device: torch.device | str | None = None) -> tuple[Tensor, Tensor]:
        """``(X, y)``: the ``n x d`` inputs and ``n`` values observed successfully at ``fidelity``."""
        obs = self.successful(fidelity)
        X = torch.tensor([o.x for o in obs], dtype=DTYPE, device=device).reshape(len(obs), self.dim)
        y = torch.tensor([o.value for o in obs], dtype=DTYPE, device=device)
        return X, y

    def gradients(self, fidelity: str, device: torch.device | str | None = None) -> Tensor | None:
        """``n x d`` gradients at ``fidelity`` (same rows as :meth:`tensors`), or None if any is missing."""
        obs = self.successful(fidelity)
        if not obs or any(o.gradient is None for o in obs):
            return None
        return torch.tensor([o.gradient for o in obs], dtype=DTYPE, device=device)

    def restrict(self, names: Sequence[str]) -> Dataset:
        """A dataset with only the given fidelities (their order is kept from this one)."""
        keep = [f for f in self.fidelities if f.name in set(names)]
        missing = set(names) - {f.name for f in keep}
        if missing:
            raise KeyError(f"unknown fidelities {sorted(missing)}")
        wanted = {f.name for f in keep}
        return Dataset(self.bounds, tuple(keep), [o for o in self.observations if o.fidelity in wanted])

    def extend(self, observations: Iterable[Observation]) -> None:
        self.observations.extend(observations)

    def best(self, fidelity: str | None = None) -> Observation | None:
        """The successful observation with the lowest value at ``fidelity`` (default: the target)."""
        obs = self.successful(fidelity or self.target.name)
        return min(obs, key=lambda o: o.value if o.value is not None else math.inf) if obs else None

    def counts(self) -> dict[str, int]:
        """Successful observations per fidelity name."""
        return {f.name: len(self.successful(f.name)) for f in self.fidelities}

    def with_observations(self, observations: Iterable[Observation]) -> Dataset:
        return replace(self, observations=list(observations))
