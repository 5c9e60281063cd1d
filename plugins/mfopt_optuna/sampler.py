"""An Optuna sampler that proposes with mfopt's gated multi-fidelity strategy (``mfopt[optuna]``).

Self-contained (imports only ``optuna`` and ``mfopt``), so that it can be published on OptunaHub::

    sampler = MfoptSampler(
        parameters={"lr": {"type": "float", "low": 1e-4, "high": 1e-1, "log": True},
                    "hidden": {"type": "int", "low": 8, "high": 128},
                    "activation": {"type": "categorical", "choices": ["relu", "tanh"]}},
        fidelities=[{"name": "e4", "level": 4, "cost": 0.1}, {"name": "e32", "level": 32, "cost": 1.0}],
        budget=12.0)
    study = optuna.create_study(sampler=sampler)          # any storage: in memory, SQLite, RDB

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)   # the same ranges as `parameters`
        hidden = trial.suggest_int("hidden", 8, 128)
        activation = trial.suggest_categorical("activation", ["relu", "tanh"])
        epochs = int(suggest_fidelity(trial))               # the level the sampler chose
        return train(lr, hidden, activation, epochs)

    study.optimize(objective, n_trials=60, n_jobs=2)

The fidelity convention: before the objective runs, the sampler asks mfopt for the next
candidate; :func:`suggest_fidelity` returns its level and writes it into the trial's user
attributes (public Optuna API only): ``mfopt_fidelity`` (the name), ``mfopt_level`` (the
declared level, e.g. epochs) and ``mfopt_decisions`` (the gate's decisions of that proposal:
source, use_low, rule, reason). Only trials whose ``mfopt_fidelity`` is the target (the highest level) are comparable
values of the objective: ``study.best_trial`` may be a cheap one, so select the best among target
trials (:meth:`MfoptSampler.best_trial`). The sampler tells mfopt each finished trial (a failed or
pruned trial is told as failed) and asks mfopt for the next proposal at once, so that
:attr:`MfoptSampler.finished` says when mfopt's study is over (pass
``callbacks=[sampler.stop_when_finished]`` to stop there); trials started after that sample at
random at the target.
One thread owns the mfopt study, which makes ask and tell safe with ``study.optimize(n_jobs > 1)``;
a proposal made while other trials run is conditioned on them as pending points.

The sampler's mfopt study lives in memory; Optuna's storage is the record. A sampler given an
existing study (``optuna.load_study(..., sampler=MfoptSampler(...))`` in a new process, on
SQLite or any RDB storage) rebuilds its mfopt state from the finished trials that carry
``mfopt_fidelity``: their parameters, fidelity and value (failed and pruned ones as failed
evaluations), and the initial design is not evaluated again. Trials left running by a killed
process are not counted; their points are proposed again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.samplers import BaseSampler, RandomSampler
from optuna.trial import FrozenTrial, TrialState

from mfopt import create_study
from mfopt.hpo import Transform, Trial

FIDELITY_ATTR = "mfopt_fidelity"
LEVEL_ATTR = "mfopt_level"
DECISIONS_ATTR = "mfopt_decisions"
FINISHED = (TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED)


def suggest_fidelity(trial: optuna.trial.BaseTrial) -> float:
    """The fidelity level (e.g. a number of epochs) the sampler chose for ``trial``; records it in
    the trial's user attributes (``mfopt_fidelity``, ``mfopt_level``, ``mfopt_decisions``)."""
    level = trial.user_attrs.get(LEVEL_ATTR)  # already suggested, or a FrozenTrial / FixedTrial
    if level is not None:
        return float(level)
    sampler = trial.study.sampler if isinstance(trial, optuna.Trial) else None
    if not isinstance(sampler, MfoptSampler):
        raise RuntimeError("this trial has no mfopt fidelity: create the study with sampler=MfoptSampler(...)")
    fidelity, level, decisions = sampler.proposal(trial.number)
    trial.set_user_attr(FIDELITY_ATTR, fidelity)
    trial.set_user_attr(LEVEL_ATTR, level)
    trial.set_user_attr(DECISIONS_ATTR, decisions)
    return float(level)


def _within(distribution: BaseDistribution, value: Any) -> bool:
    if isinstance(distribution, CategoricalDistribution):
        return value in distribution.choices
    if isinstance(distribution, FloatDistribution | IntDistribution):
        return bool(distribution.low <= value <= distribution.high)
    return True


class MfoptSampler(BaseSampler):
    """Proposes each trial's parameters and fidelity with mfopt (gated Co-Kriging + cost-aware EI).

    ``parameters``, ``fidelities``, ``budget``, ``seed``, ``storage`` and ``transform`` are those
    of :func:`mfopt.create_study`; the objective must suggest the same parameters with the same
    ranges. With ``transform="log"`` mfopt's models see the log of each trial's value; the Optuna
    study keeps the values as returned.
    """

    def __init__(
        self,
        parameters: Mapping[str, Any],
        fidelities: Sequence[Mapping[str, Any]],
        budget: float | Mapping[str, Any] = 10.0,
        *,
        seed: int = 0,
        storage: str | Path | None = None,
        transform: Transform = "none",
    ) -> None:
        # one thread owns the mfopt study (its SQLite store is bound to the thread that opened it):
        # every ask and tell from Optuna's worker threads runs there, one at a time
        self._owner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mfopt-sampler")
        self._study = self._owner.submit(
            create_study, parameters, fidelities, budget, storage, seed=seed, name="optuna", transform=transform
        ).result()
        self._target = self._study.study.problem.target
        self._levels = {f.name: f.level for f in self._study.study.problem.fidelities}
        self._proposals: dict[int, tuple[Trial | None, list[dict[str, Any]]]] = {}  # trial number -> proposal
        self._known: set[int] = set()  # Optuna trial numbers mfopt has seen (asked here or rebuilt)
        self._told_decisions = 0
        self._ahead: list[tuple[Trial | None, list[dict[str, Any]]]] = []  # proposed at a tell, not yet used
        self._finished = False
        self._fallback = RandomSampler(seed=seed)

    @property
    def finished(self) -> bool:
        """Whether mfopt's study is over (budget spent, or nothing affordable left to propose):
        known right after the last trial is told, so a callback can stop the Optuna study before
        another trial starts (:meth:`stop_when_finished`)."""
        return self._finished

    def stop_when_finished(self, study: optuna.Study, trial: FrozenTrial) -> None:
        """An Optuna callback (``study.optimize(..., callbacks=[sampler.stop_when_finished])``):
        stops the study once mfopt's study is over."""
        if self._finished:
            study.stop()

    def infer_relative_search_space(self, study: optuna.Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return {}

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        self._owner.submit(self._prepare, study, trial.number).result()

    def _prepare(self, study: optuna.Study, number: int) -> None:
        self._rebuild(study)
        self._known.add(number)
        self._proposals[number] = self._ahead.pop(0) if self._ahead else self._next()

    def _next(self) -> tuple[Trial | None, list[dict[str, Any]]]:
        """mfopt's next trial (None once its study is over) with the gate decisions made for it."""
        asked = None if self._finished else self._study.ask()
        self._finished = asked is None
        decisions = self._study.decisions[self._told_decisions :]
        self._told_decisions += len(decisions)
        return asked, decisions

    def _rebuild(self, study: optuna.Study) -> None:
        """Tell mfopt the finished trials it has not seen (made by an earlier process)."""
        names = self._study.space.names
        for t in study.get_trials(deepcopy=False, states=FINISHED):
            fidelity = t.user_attrs.get(FIDELITY_ATTR)
            if t.number in self._known or fidelity not in self._levels or not set(names) <= set(t.params):
                continue
            self._known.add(t.number)
            params = {n: t.params[n] for n in names}
            if t.state == TrialState.COMPLETE and t.value is not None:
                self._study.add(params, fidelity, float(t.value))
            else:
                self._study.add(params, fidelity, failed=f"optuna trial {t.number} {t.state.name.lower()}")

    def proposal(self, number: int) -> tuple[str, float, list[dict[str, Any]]]:
        """The fidelity name, level and gate decisions chosen for Optuna trial ``number``
        (the target, once mfopt's budget is spent)."""
        asked, decisions = self._proposals.get(number, (None, []))
        if asked is None:
            return self._target.name, self._target.level, decisions
        return asked.fidelity, asked.level, decisions

    def sample_independent(
        self, study: optuna.Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        asked, _ = self._proposals.get(trial.number, (None, []))
        if asked is None or param_name not in asked.params:
            return self._fallback.sample_independent(study, trial, param_name, param_distribution)
        value = asked.params[param_name]
        if not _within(param_distribution, value):
            raise ValueError(
                f"{param_name}={value!r}: the objective's range {param_distribution} differs from the sampler's"
            )
        return value

    def after_trial(
        self, study: optuna.Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        self._owner.submit(self._tell, trial.number, state, values).result()

    def _tell(self, number: int, state: TrialState, values: Sequence[float] | None) -> None:
        asked, _ = self._proposals.pop(number, (None, []))
        if asked is None:
            return
        if state == TrialState.COMPLETE and values:
            self._study.tell(asked, float(values[0]))
        else:
            self._study.tell(asked, failed=f"optuna trial {number} {state.name.lower()}")
        if not self._finished:  # propose now: a study that is over is known before the next trial starts
            self._ahead.append(self._next())

    def best_trial(self, study: optuna.Study) -> FrozenTrial | None:
        """The best complete trial at the target fidelity."""
        done = [
            t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if t.user_attrs.get(FIDELITY_ATTR) == self._target.name
        ]  # fmt: skip
        return min(done, key=lambda t: float(t.value if t.value is not None else math.inf)) if done else None

    def cost_by_fidelity(self) -> dict[str, float]:
        """Cost units mfopt has been told per fidelity."""
        return self._owner.submit(self._study.cost_by_fidelity).result()
