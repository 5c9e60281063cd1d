"""The plugin contract: every hook mfopt calls, with what it receives and returns.

Registration hooks are called once, when the plugin manager starts, in no guaranteed order; none
is ``firstresult`` and their return values are ignored. Observer hooks are called during a study;
every implementation is called, return values are ignored, and an exception raised by one is
reported with the plugin's name (it stops the study: an observer that cannot keep its record
must not fail silently).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mfopt.plugin import hookspec

if TYPE_CHECKING:
    from mfopt.data import Candidate, Decision, Observation
    from mfopt.plugin.registry import Registry


@hookspec
def mfopt_register_problems(registry: Registry) -> None:
    """Register problem factories.

    :param registry: the problem registry. ``registry.register(name, factory, **info)`` adds an
        exact name (``factory(**options) -> Problem``); ``registry.register_resolver(resolver)``
        adds a family of parametric names (``resolver(name) -> factory | None``); a factory
        registered with ``key="python"`` is chosen when a ``[problem]`` table holds that key.
    """


@hookspec
def mfopt_register_surrogates(registry: Registry) -> None:
    """Register surrogate factories: ``factory(device=..., seed=..., **options) -> Surrogate``."""


@hookspec
def mfopt_register_detectors(registry: Registry) -> None:
    """Register low-fidelity-harm detector factories: ``factory(**options) -> HarmDetector``."""


@hookspec
def mfopt_register_acquisitions(registry: Registry) -> None:
    """Register acquisition factories: ``factory(**options) -> Acquisition``."""


@hookspec
def mfopt_register_executors(registry: Registry) -> None:
    """Register executor factories: ``factory(**options) -> concurrent.futures.Executor``.

    An executor that runs several evaluations at once says how many with an integer
    ``max_workers`` attribute (absent: 1); the study keeps that many in flight. A future whose
    evaluation killed its worker should fail with an exception saying so (the study records that
    point as failed and goes on)."""


@hookspec
def mfopt_register_strategies(registry: Registry) -> None:
    """Register proposal-strategy factories: ``factory(context=StrategyContext, **options) -> Strategy``.

    A strategy decides where, and at which fidelity, to evaluate next (the slot Optuna calls a
    sampler and Ax a generation strategy); ``[strategy] name = ...`` selects it and the other keys
    of that table are its options. The contract (:class:`mfopt.strategy.Strategy`):

    - ``strategy.fidelities``: the problem's fidelities it uses, ordered by level, target last.
    - ``strategy.design(state) -> list[Candidate]``: the initial design, asked once for a new run
      before the run store exists (the study checks its cost against ``[budget]`` first).
    - ``strategy.propose(state) -> Proposal(candidates, decisions, model, fidelities, info)``:
      the next candidates from a frozen :class:`mfopt.state.StudyState` (finished observations,
      fidelities with costs, remaining budget and evaluations, ``pending`` candidates still being
      evaluated, iteration, seed, device). Same state, same proposal. An empty proposal ends the
      study. Candidates outside the bounds or at an unknown fidelity are a
      :class:`~mfopt.errors.PluginError`; those the budget cannot pay for are dropped.
    - ``strategy.needs_gradients``: True only if a model needs the objective's gradients.

    ``context`` (:class:`mfopt.strategy.StrategyContext`) holds the validated config, the problem,
    the plugin manager (its registries build collaborators) and the config file's name. Check a
    strategy with :func:`mfopt.testing.check_strategy`.
    """


@hookspec
def mfopt_study_start(study: Any) -> None:
    """Called once when a study starts running (after the store is open, before the design).

    :param study: a frozen :class:`mfopt.state.StudyState` of the study at that instant (not the
        study itself: an observer reads, it cannot change the run). ``study.result()`` is the
        result so far, ``study.config`` the configuration.
    """


@hookspec
def mfopt_after_propose(study: Any, candidates: Sequence[Candidate], decisions: Sequence[Decision]) -> None:
    """Called after each proposal is recorded in the store and before it is evaluated.

    :param study: a frozen :class:`mfopt.state.StudyState` (the new candidates are pending in it).
    :param candidates: the recorded candidates (with store ids).
    :param decisions: the gate's decisions of this iteration, one per cheap source (empty for the
        initial design and for single-fidelity studies).
    """


@hookspec
def mfopt_after_evaluate(study: Any, observations: Sequence[Observation]) -> None:
    """Called after observations are recorded in the store (failed ones included), one call per
    finished evaluation, as it finishes; ``study`` is a frozen :class:`mfopt.state.StudyState`."""


@hookspec
def mfopt_study_end(study: Any, result: Any) -> None:
    """Called once when a study stops, with its :class:`mfopt.StudyResult`; ``study`` is a frozen
    :class:`mfopt.state.StudyState`."""
