"""The :class:`Strategy` contract: how the next candidates are chosen (Optuna's sampler, Ax's
generation strategy, Emukit's candidate point calculator).

The study knows no model. It hands a strategy a frozen :class:`~mfopt.state.StudyState` and
records what comes back: the initial design once (:meth:`Strategy.design`), then one
:class:`Proposal` per iteration (:meth:`Strategy.propose`). The study then checks every candidate
(a known fidelity, ``d`` finite coordinates inside the bounds), drops what the budget or
``max_evaluations`` cannot pay for, and writes candidates, decisions and ``info`` to the run
store before anything is evaluated.

A strategy is built by its registered factory, ``factory(context=StrategyContext, **options)``,
where ``options`` are the keys of the ``[strategy]`` table besides ``name``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mfopt.data import Candidate, Decision, Fidelity
from mfopt.errors import ConfigError, RegistryError

if TYPE_CHECKING:
    from mfopt.config import StudyConfig
    from mfopt.plugin.manager import PluginManager
    from mfopt.problem import Problem
    from mfopt.state import StudyState


@dataclass(frozen=True)
class Proposal:
    """What a strategy returns for one iteration.

    ``candidates``: points to evaluate (``id`` None; the study numbers them). ``decisions``: the
    evidence behind them, e.g. one gate decision per cheap source (stored and shown by
    ``mfopt report``). ``model``: a label for the model used (stored with the iteration);
    ``fidelities``: the sources the proposal was allowed to use; ``info``: JSON-serialisable
    diagnostics (fit times, model hyperparameters, notes).
    """

    candidates: Sequence[Candidate]
    decisions: Sequence[Decision] = ()
    model: str = ""
    fidelities: Sequence[str] = ()
    info: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StrategyContext:
    """What a strategy factory receives besides its own options: the whole validated config (its
    factory may read other sections, as ``gated`` reads ``[surrogate]`` and ``[acquisition]``),
    the problem, the plugin manager (its registries build collaborators) and the config's file
    name for error messages."""

    config: StudyConfig
    problem: Problem
    plugin_manager: PluginManager
    source: str = "<config>"


class Strategy(ABC):
    """Chooses where, and at which fidelity, to evaluate next.

    Rules (checked by :func:`mfopt.testing.check_strategy`):

    - :attr:`fidelities` is fixed at construction: the problem's fidelities the strategy may use,
      ordered by level, ending with the target.
    - :meth:`design` and :meth:`propose` read the state and never change it; the same state gives
      the same candidates (use ``state.seed`` for every random choice).
    - candidates lie inside ``state.bounds``, at one of :attr:`fidelities`, and should be
      affordable (``state.remaining_budget``, ``state.evaluations_left``); the study drops the rest.
    - ``state.pending`` holds candidates still being evaluated: a proposal made while some are
      pending should not repeat them (condition on them: fantasies, a Kriging believer, ...).
    - an empty proposal means the strategy has nothing more to propose; the study stops.
    """

    #: whether an evaluation must compute the objective's gradient (only when a model uses it)
    needs_gradients: bool = False

    @property
    @abstractmethod
    def fidelities(self) -> tuple[Fidelity, ...]:
        """The fidelities this strategy uses, ordered by level (the last is the target)."""

    @abstractmethod
    def design(self, state: StudyState) -> list[Candidate]:
        """The initial design (iteration 0), asked once for a new run, before the run store is
        created: the study checks its cost against ``[budget]`` first. May be empty."""

    @abstractmethod
    def propose(self, state: StudyState) -> Proposal:
        """The next candidates given every finished and pending evaluation in ``state``."""


def build_strategy(config: StudyConfig, problem: Problem, pm: PluginManager, source: str) -> Strategy:
    """The strategy ``[strategy].name`` (default ``gated``) built through the registry."""
    section = config.strategy
    where = f"{source}: [strategy]"
    try:
        pm.strategies.get(section.name)
    except RegistryError as exc:
        raise ConfigError(f"{where}.name: {exc}") from None
    context = StrategyContext(config, problem, pm, source)
    strategy = pm.strategies.create(section.name, where=where, context=context, **section.options)
    if not isinstance(strategy, Strategy):
        raise ConfigError(f"{where}: the factory returned {type(strategy).__name__}, not a Strategy")
    return strategy
