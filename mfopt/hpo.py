"""The ask/tell API an HPO user expects: named parameters in, named parameters out.

A thin layer on :class:`mfopt.Study` and :class:`mfopt.SearchSpace`::

    study = mfopt.create_study(
        parameters={"lr": {"type": "float", "low": 1e-4, "high": 1e-1, "log": True},
                    "hidden": {"type": "int", "low": 8, "high": 128},
                    "activation": {"type": "categorical", "choices": ["relu", "tanh"]}},
        fidelities=[{"name": "e4", "level": 4, "cost": 0.1}, {"name": "e32", "level": 32, "cost": 1.0}],
        budget=12.0, storage="runs/mlp")
    while (trial := study.ask()) is not None:
        study.tell(trial, train(trial.params, epochs=trial.level))
    print(study.best, study.to_dataframe())

``storage`` is a run directory (the same store as ``mfopt optimize --run-dir``; its file is
``run.sqlite``). Calling :func:`create_study` again with the same arguments and the same
``storage`` reopens the study (in another process, after a crash): every told result is kept, and
trials asked but never told are handed out again first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import torch
from torch import Tensor

from mfopt.data import Candidate, Fidelity, Observation, Status
from mfopt.errors import ConfigError, MfoptError
from mfopt.loop import Study
from mfopt.problem import FunctionProblem
from mfopt.space import Categorical, Float, Int, SearchSpace
from mfopt.store import RunStore

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Trial:
    """One asked evaluation: ``params`` (name -> value), ``fidelity`` (its name), ``level`` (its
    level, e.g. a number of epochs), ``id`` (the store's candidate id, stable across processes)."""

    id: int
    params: dict[str, Any]
    fidelity: str
    level: float
    candidate: Candidate


def _space(parameters: SearchSpace | Mapping[str, Any]) -> SearchSpace:
    if isinstance(parameters, SearchSpace):
        return parameters
    if all(isinstance(p, Float | Int | Categorical) for p in parameters.values()):
        return SearchSpace(dict(parameters))
    return SearchSpace.from_config(parameters)


def _fidelities(fidelities: Sequence[Fidelity | Mapping[str, Any]] | None) -> list[Fidelity]:
    if not fidelities:
        return [Fidelity("target", 1.0, 1.0)]
    out = []
    for f in fidelities:
        if isinstance(f, Fidelity):
            out.append(f)
        elif isinstance(f, Mapping) and "name" in f and "level" in f:
            out.append(Fidelity(str(f["name"]), float(f["level"]), float(f.get("cost", 1.0))))
        else:
            raise ConfigError(f"a fidelity is a Fidelity or {{'name', 'level', 'cost'}}, got {f!r}")
    return out


#: the default share of the budget's ``total`` that :func:`create_study`'s cheap design spends (the
#: more configurations trained cheaply, the likelier one among them is good, as Hyperband's first
#: rung; docs/hpo.md has the measurement behind it)
DESIGN_SHARE = 0.125

Transform = Literal["none", "log"]
TRANSFORMS: tuple[str, ...] = ("none", "log")


def _forward(transform: str, value: float) -> float:
    """The value the study's models see: ``value`` itself, or its natural log (``transform="log"``)."""
    if transform == "none":
        return float(value)
    if not value > 0:
        raise MfoptError(f"transform='log' needs positive values, got {value!r} (tell failed=... for a failed run)")
    return math.log(value)


def _inverse(transform: str, value: float) -> float:
    return float(value) if transform == "none" else math.exp(value)


def _asked_only(X: Tensor) -> Tensor:
    raise MfoptError("this study is driven by ask/tell: evaluate trial.params yourself and call study.tell")


class HPOStudy:
    """A :class:`mfopt.Study` seen through named parameters (made by :func:`create_study`)."""

    def __init__(self, study: Study, screen: int = 0, promote: float = 0.0, transform: Transform = "none") -> None:
        self.study = study
        self.screen, self.promote, self.transform = screen, promote, transform
        self._asked: list[Candidate] = []
        self._handed: set[int] = set()
        self._deferred: list[Candidate] = []  # the design's target points, handed out after screening

    @property
    def space(self) -> SearchSpace:
        return self.study.space

    def _trial(self, c: Candidate) -> Trial:
        assert c.id is not None
        params = dict(c.params) if c.params is not None else self.space.decode(torch.tensor(c.x))
        level = next(f.level for f in self.study.problem.fidelities if f.name == c.fidelity)
        return Trial(c.id, params, c.fidelity, level, c)

    def ask(self) -> Trial | None:
        """The next trial, or None when the study is over (budget spent, target reached...)."""
        if not self._asked:
            fresh = self.study.design_left > 0
            if not self._screen() and self._deferred:
                self._asked = [self._deferred.pop(0)]
            else:
                self._asked = list(self.study.ask())
                self._handed.update(c.id for c in self._asked if c.id is not None)
                if fresh and self.screen > 0:
                    self._defer_design_targets()
        return self._trial(self._asked.pop(0)) if self._asked else None

    def _defer_design_targets(self) -> None:
        """With screening, the design's target points (chosen before any value is known) wait
        until the screened points are out: the first full trainings are the best cheap runs."""
        fidelities = self.study.problem.fidelities
        if len(fidelities) < 2:
            return
        cheap = [c for c in self._asked if c.fidelity != fidelities[-1].name]
        if cheap:
            self._deferred = [c for c in self._asked if c.fidelity == fidelities[-1].name]
            self._asked = cheap

    def _screen(self) -> bool:
        """Screening and promotion, the multi-fidelity idea Hyperband exploits: once the design's
        cheap runs are out, the best of them (lowest value at the next-cheaper fidelity, not yet
        at the target) are queued for the target until it holds ``screen`` points, so the first
        full trainings are the configurations the short runs rank best rather than a
        space-filling subset chosen before any value. Later, whenever the cheap runs since the
        last target evaluation have cost ``promote`` target evaluations, the best cheap run not
        yet at the target is queued for it. Returns whether it queued any."""
        fidelities = self.study.problem.fidelities
        if len(fidelities) < 2 or self.study.stop_reason() is not None:
            return False
        cheap, target = fidelities[-2].name, fidelities[-1].name
        pending = self.study.store.pending()
        if self.study.design_left or any(c.fidelity != target and c.id not in self._handed for c in pending):
            return False  # the design's cheap runs (or a reopened study's queue) go out first
        observed = self.study.dataset.observations
        records = sorted(
            [(o.id or 0, o.fidelity, o.x) for o in observed] + [(c.id or 0, c.fidelity, c.x) for c in pending]
        )
        at_target = {tuple(x) for _, f, x in records if f == target}
        wanted = self.screen - len(at_target)
        if wanted <= 0 and self.promote > 0:
            since = 0.0
            for _, f, _ in reversed(records):
                if f == target:
                    break
                since += self.study.costs[f]
            wanted = 1 if since >= self.promote * self.study.costs[target] - 1e-9 else 0
        if wanted <= 0:
            return False
        ranked = sorted(
            (o for o in self.study.dataset.successful(cheap) if tuple(o.x) not in at_target),
            key=lambda o: (o.value, o.id if o.id is not None else 0),
        )
        best = list(dict.fromkeys(tuple(o.x) for o in ranked))[:wanted]
        return bool(best) and bool(
            self.study.enqueue(best, target, iteration=max(0, self.study.store.last_iteration()))
        )

    def tell(
        self, trial: Trial | int, value: float | None = None, *, failed: str | None = None, duration: float = 0.0
    ) -> Observation:
        """Record a trial's validation loss (``value``), or ``failed="why"`` for a failed run;
        ``trial`` may be its id (told from another process after :func:`create_study` reopened the
        store). ``duration``: the measured wall time, stored with the result."""
        if failed is None and value is None:
            raise MfoptError("tell() needs a value, or failed='reason'")
        candidate: Candidate | int = trial.candidate if isinstance(trial, Trial) else trial
        told = None if failed is not None or value is None else _forward(self.transform, value)
        return self.study.tell(candidate, told, error=failed, duration=duration)

    def add(
        self, params: Mapping[str, Any], fidelity: str, value: float | None = None, *, failed: str | None = None,
        iteration: int = 0, duration: float = 0.0,
    ) -> Observation:  # fmt: skip
        """Record an evaluation this study did not hand out: one made in an earlier process that
        left no run store (the Optuna sampler rebuilds its state from an Optuna storage this way),
        or by another tool (:meth:`mfopt.Study.add_evaluation`). A point of the initial design
        still to be asked is dropped from it (the design of a study made with the same seed is the
        same points), so a rebuilt study does not evaluate its design twice."""
        if failed is None and value is None:
            raise MfoptError("add() needs a value, or failed='reason'")
        told = None if failed is not None or value is None else _forward(self.transform, value)
        return self.study.add_evaluation(params, fidelity, told, error=failed, duration=duration, iteration=iteration)

    @property
    def best(self) -> dict[str, Any] | None:
        """The best successful trial at the target fidelity: ``{"id", "params", "value", "fidelity"}``."""
        best = self.study.best()
        if best is None:
            return None
        params = dict(best.params) if best.params is not None else self.space.decode(torch.tensor(best.x))
        value = _inverse(self.transform, best.value) if best.value is not None else None
        return {"id": best.id, "params": params, "value": value, "fidelity": best.fidelity}

    @property
    def decisions(self) -> list[dict[str, Any]]:
        """Every gate decision so far, oldest first: iteration, source, use_low, rule, reason."""
        return [
            {"iteration": r.iteration, "source": r.decision.source, "use_low": r.decision.use_low,
             "rule": r.decision.rule, "reason": r.decision.reason}
            for r in self.study.store.decisions()
        ]  # fmt: skip

    def cost_by_fidelity(self) -> dict[str, float]:
        """Cost units spent per fidelity (finished evaluations, failed ones included)."""
        spent = {f.name: 0.0 for f in self.study.fidelities}
        for o in self.study.dataset.observations:
            if o.status is not Status.PENDING:
                spent[o.fidelity] += o.cost
        return spent

    def to_dataframe(self) -> pd.DataFrame:
        """One row per evaluation: named parameters (``params_*``), fidelity, value (as told, the
        transform undone), status, cost, timings."""
        frame = self.study.to_dataframe()
        if self.transform != "none":
            frame["value"] = frame["value"].map(lambda v: v if v != v else _inverse(self.transform, v))
        return frame

    def close(self) -> None:
        self.study.close()

    def __enter__(self) -> HPOStudy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def create_study(
    parameters: SearchSpace | Mapping[str, Any],
    fidelities: Sequence[Fidelity | Mapping[str, Any]] | None = None,
    budget: float | Mapping[str, Any] = 10.0,
    storage: str | Path | None = None,
    *,
    design: Mapping[str, int] | None = None,
    seed: int = 0,
    detector: str = "guideline",
    name: str = "hpo",
    noisy: bool = False,
    screen: int | None = None,
    promote: float = 1.0,
    transform: Transform = "none",
    design_share: float = DESIGN_SHARE,
) -> HPOStudy:
    """A new study over named ``parameters`` (``SearchSpace``, name -> ``Float``/``Int``/
    ``Categorical``, or name -> problem.toml table), or the one already in ``storage``.

    ``fidelities``: ``[{"name", "level", "cost"}]`` (the highest level is the target; None = one
    fidelity). ``budget``: total cost units, or a ``[budget]`` table (``total``,
    ``max_evaluations``, ``target``, ``wall_time``, ``patience``). ``design``: initial points per
    fidelity (default: at each cheap fidelity as many as ``design_share`` of the budget's
    ``total`` pays for, at least 2 d + 2; 1 at the target, d + 1 with ``screen=0``; d = the
    encoded dimension). ``screen``: with several fidelities, the target points of the initial
    phase in all, the design's included (default: the design's target points + max(3,
    ceil(d / 2))): after the design's cheap runs, the best of them are evaluated at the target
    until it holds that many, then the design's own target points (0: no screening).
    ``promote``: afterwards, whenever the cheap runs since the last target evaluation have cost
    ``promote`` target evaluations, the best cheap run not yet at the target is evaluated there
    (0: never; docs/hpo.md). With
    several fidelities the gated strategy fuses the cheap ones with Co-Kriging while ``detector``
    judges that they help.
    ``noisy``: the objective is noisy (a validation loss of a seeded-differently training...): the
    Kriging model and, with several fidelities, the Co-Kriging model learn a homoscedastic noise
    term (``noise = "learn"``: Co-Kriging one per level) instead of interpolating every value
    exactly.
    ``transform``: ``"log"`` makes the models see the natural log of every told value (a
    validation error with diverged runs at 0.4-0.9 beside good ones at 0.02-0.05 is heavy-tailed;
    values must be > 0); the store holds the logged values, :attr:`HPOStudy.best` and
    :meth:`HPOStudy.to_dataframe` give them back as told, a ``budget`` ``target`` is logged too. A
    study reopened from ``storage`` must use the transform it was created with.
    """
    if transform not in TRANSFORMS:
        raise ConfigError(f"transform must be one of {', '.join(TRANSFORMS)}, got {transform!r}")
    space = _space(parameters)
    levels = _fidelities(fidelities)
    problem = FunctionProblem(name, space, {f.name: _asked_only for f in levels}, levels, differentiable=False)
    ordered = problem.fidelities
    d = space.dim
    if (screen is not None and screen < 0) or not promote >= 0 or not 0 <= design_share < 1:
        raise ConfigError(
            f"screen and promote must be >= 0 and design_share in [0, 1), got screen={screen}, "
            f"promote={promote}, design_share={design_share}"
        )
    table = dict(budget) if isinstance(budget, Mapping) else {"total": float(budget)}
    several = len(ordered) > 1
    if design is not None:
        samples = dict(design)
    else:
        cheap_cost = sum(f.cost for f in ordered[:-1])
        total = table.get("total")
        share = math.floor(design_share * float(total) / cheap_cost + 1e-9) if several and total else 0
        samples = {f.name: max(2 * d + 2, share) for f in ordered[:-1]}
    if screen is None:
        screen = samples.get(ordered[-1].name, 1) + max(3, math.ceil(d / 2)) if several else 0
    samples.setdefault(ordered[-1].name, 1 if screen > 0 and several else d + 1)
    if table.get("target") is not None:
        table["target"] = _forward(transform, table["target"])
    config: dict[str, Any] = {
        "budget": table,
        "design": {"samples": samples, "seed": seed},
        "run": {"seed": seed},
    }
    if noisy:
        config["surrogate"] = {"name": "kriging", "noise": "learn"}
    if len(ordered) > 1:
        fused = {"name": "cokriging", "noise": "learn"} if noisy else {"name": "cokriging"}
        config |= {"multi_surrogate": fused, "detector": {"name": detector},
                   "acquisition": {"name": "augmented-ei"}}  # fmt: skip
    resume = storage is not None and RunStore.exists(Path(storage))
    study = Study(config, run_dir=storage, problem=problem, resume=resume, source=f"create_study({name})")
    stored = study.store.meta().get("hpo_transform", "none")
    if resume and stored != transform:
        study.close()
        raise ConfigError(f"the study in {storage} was created with transform={stored!r}, not {transform!r}")
    if not resume and transform != "none":
        study.store.set_meta({"hpo_transform": transform})
    return HPOStudy(study, screen, promote, transform)
