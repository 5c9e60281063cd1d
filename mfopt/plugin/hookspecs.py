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
    """Register executor factories: ``factory(**options) -> concurrent.futures.Executor``."""


@hookspec
def mfopt_study_start(study: Any) -> None:
    """Called once when a study starts running (after the store is open, before the design).

    :param study: the :class:`mfopt.Study`.
    """


@hookspec
def mfopt_after_propose(study: Any, candidates: Sequence[Candidate], decisions: Sequence[Decision]) -> None:
    """Called after each proposal is recorded in the store and before it is evaluated.

    :param candidates: the recorded candidates (with store ids).
    :param decisions: the gate's decisions of this iteration, one per cheap source (empty for the
        initial design and for single-fidelity studies).
    """


@hookspec
def mfopt_after_evaluate(study: Any, observations: Sequence[Observation]) -> None:
    """Called after observations are recorded in the store (failed ones included)."""


@hookspec
def mfopt_study_end(study: Any, result: Any) -> None:
    """Called once when a study stops, with its :class:`mfopt.StudyResult`."""
