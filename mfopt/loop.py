"""The study: a run store, ask/tell, budget accounting and stopping conditions.

The study knows no model. What to evaluate next comes from its :class:`~mfopt.strategy.Strategy`
(``[strategy]``, default: the one a plugin declares), which receives a frozen
:class:`~mfopt.state.StudyState`. ``Study.ask()`` returns candidates already recorded in the run
store as pending; ``Study.tell()`` records an outcome. ``Study.run()`` drives the configured
executor through :func:`mfopt.executor_loop.run_study` (every worker kept busy, each evaluation
recorded as it completes). Here:

- the initial design goes out as individual evaluations, each recorded as it completes, so a
  kill loses only what was in flight; ``--resume`` runs those again;
- a point whose evaluation was in flight at :data:`MAX_ATTEMPTS` crashes in a row (the process
  died each time: ``os._exit`` in a serial objective, a killed run) is recorded as failed,
  "the evaluator died", instead of being run again for ever;
- the study stops proposing when a stopping condition holds (:mod:`mfopt.stopping`) or the
  strategy has nothing affordable left; evaluations in flight finish and are recorded.
"""

from __future__ import annotations

import hashlib
import math
import numbers
import time
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from contextlib import suppress
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from mfopt.components import build_problem, check_study
from mfopt.config import StudyConfig, parse_config, plugin_defaults
from mfopt.data import Candidate, Dataset, Decision, Fidelity, Observation, Status
from mfopt.errors import ConfigError, MfoptError, PluginError
from mfopt.evaluation import value_error
from mfopt.plugin.manager import PluginManager, get_plugin_manager
from mfopt.problem import Problem
from mfopt.result import StudyResult, summarize
from mfopt.space import SearchSpace
from mfopt.state import StudyState
from mfopt.stopping import StoppingCondition, from_budget
from mfopt.store import RunStore
from mfopt.strategy import Strategy, build_strategy

if TYPE_CHECKING:
    import pandas as pd

EPS = 1e-9
#: a point in flight at this many crashes of its evaluator in a row is recorded as failed
MAX_ATTEMPTS = 2
#: config sections a resumed run may change (more budget, another device or executor)
RESUMABLE_CHANGES = ("budget", "run", "executor")


def iteration_seed(seed: int, iteration: int) -> int:
    """A reproducible per-iteration seed (so a resumed run proposes as the original would)."""
    digest = hashlib.sha256(f"{seed}:{iteration}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


class Study:
    """An optimisation study bound to a run store.

    :param config: a :class:`StudyConfig` or a mapping shaped like problem.toml.
    :param run_dir: directory of the run store; None keeps the store in memory (nothing persisted).
    :param problem: a :class:`Problem` to use instead of ``[problem]`` (ask/tell from Python).
    :param resume: continue the run already in ``run_dir``.
    :param source: the config's file name, for error messages.

    Everything is validated (plugins, options, the initial design against ``[budget]``) before the
    run store is created: a configuration error leaves no store behind.
    """

    def __init__(
        self,
        config: StudyConfig | Mapping[str, Any],
        *,
        run_dir: str | Path | None = None,
        problem: Problem | None = None,
        plugin_manager: PluginManager | None = None,
        resume: bool = False,
        source: str = "<config>",
    ) -> None:
        self.pm = plugin_manager or get_plugin_manager()
        self.config = (
            config if isinstance(config, StudyConfig) else parse_config(config, source, plugin_defaults(self.pm))
        )
        self.source = source
        check_study(self.config, self.pm, source)  # device and executor, whatever the strategy
        self.problem = problem if problem is not None else build_problem(self.config, self.pm, source)
        self.space: SearchSpace = self.problem.space
        self.strategy: Strategy = build_strategy(self.config, self.problem, self.pm, source)
        self.fidelities: tuple[Fidelity, ...] = self.strategy.fidelities
        self.costs = {f.name: f.cost for f in self.problem.fidelities}
        self.stopping: StoppingCondition = from_budget(self.config.budget, min(f.cost for f in self.fidelities))
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.decisions: list[Decision] = []
        self._queue: list[Candidate] = []
        self._outstanding: dict[int, Candidate] = {}
        self._stop: str | None = None
        self._clock = time.monotonic()
        self._elapsed_before = 0.0
        self.study_id = uuid.uuid4().hex
        self.dataset = Dataset(self.problem.bounds, self.fidelities, [])
        self._iteration = 0
        fresh = self.run_dir is None or not RunStore.exists(self.run_dir)
        self._design = self._checked_design() if fresh else None
        self.store = self._open_store(resume)
        meta = self.store.meta()
        self.study_id = str(meta.get("study_id") or self.study_id)
        self._elapsed_before = float(meta.get("elapsed", 0.0))
        self.dataset.extend(self.store.observations())
        self._iteration = max(1, self._next_iteration())  # the initial design is iteration 0
        if self._design is None and self.store.count() == 0:
            self._design = self._checked_design()
        self._requeue_pending()

    # store --------------------------------------------------------------------------------
    def _open_store(self, resume: bool) -> RunStore:
        meta = {
            "config": self.config.dump(),
            "problem": self.problem.name,
            "dim": self.problem.dim,
            "bounds": self.problem.bounds.tolist(),
            "fidelities": [{"name": f.name, "level": f.level, "cost": f.cost} for f in self.fidelities],
            "target": self.problem.target.name,
            "study_id": self.study_id,
        }
        if self.run_dir is None:
            return RunStore.memory(meta)
        if RunStore.exists(self.run_dir):
            if not resume:
                raise ConfigError(
                    f"{self.run_dir} already holds a run: add --resume to continue it, or choose another --run-dir"
                )
            store = RunStore.open(self.run_dir)
            self._check_same_config(store.meta())
            if "study_id" not in store.meta():
                store.set_meta({"study_id": self.study_id})
            return store
        return RunStore.create(self.run_dir, meta)

    def _check_same_config(self, stored: Mapping[str, Any]) -> None:
        before = dict(stored.get("config", {}))
        with suppress(ConfigError):  # fill in defaults added since (an old file gains [strategy] = gated)
            before = parse_config(before).dump()
        now = self.config.dump()
        for section in sorted(set(before) | set(now)):
            if section in RESUMABLE_CHANGES:
                continue
            if before.get(section) != now.get(section):
                raise ConfigError(
                    f"{self.run_dir} was started with a different [{section}] section; "
                    "resume it with its original configuration, or start a new run with --run-dir"
                )

    def _requeue_pending(self) -> None:
        """Pending rows of a resumed run go back in the queue; a point whose evaluator died
        :data:`MAX_ATTEMPTS` times in a row is recorded as failed instead."""
        for candidate, attempts in self.store.pending_attempts():
            if attempts >= MAX_ATTEMPTS:
                error = (
                    f"the evaluator died: this point was being evaluated at {attempts} crashes in a row "
                    f"(a point is tried at most {MAX_ATTEMPTS} times)"
                )
                self._outstanding[candidate.id or 0] = candidate
                self.record([self.failed(candidate, error)])
            else:
                self._queue.append(candidate)

    # accounting ---------------------------------------------------------------------------
    @property
    def target(self) -> Fidelity:
        return self.problem.target

    @property
    def cost_committed(self) -> float:
        return self.store.cost_committed()

    @property
    def remaining_budget(self) -> float:
        total = self.config.budget.total
        return math.inf if total is None else total - self.cost_committed

    @property
    def design_left(self) -> int:
        """Points of the initial design not handed out yet (0 once the design is out)."""
        return len(self._design or ())

    @property
    def elapsed(self) -> float:
        return self._elapsed_before + (time.monotonic() - self._clock)

    def snapshot(self) -> StudyState:
        """A frozen :class:`StudyState` of this instant (what strategies and observers see)."""
        slots = self.config.budget.max_evaluations
        return self._state(
            observations=tuple(self.dataset.observations),
            pending=tuple(self.store.pending()),
            cost_committed=self.cost_committed,
            remaining_budget=self.remaining_budget,
            evaluations_left=math.inf if slots is None else slots - self.store.count(),
            iteration=self._iteration,
            elapsed=self.elapsed,
            stop_reason=self._stop,
        )

    def snapshot_before_store(self) -> StudyState:
        """The state of a study with nothing recorded yet (what :meth:`Strategy.design` sees)."""
        budget = self.config.budget
        return self._state(
            observations=(),
            pending=(),
            cost_committed=0.0,
            remaining_budget=math.inf if budget.total is None else budget.total,
            evaluations_left=math.inf if budget.max_evaluations is None else budget.max_evaluations,
            iteration=0,
            elapsed=0.0,
        )

    def _state(self, *, iteration: int, **now: Any) -> StudyState:
        """A :class:`StudyState` of this study's fixed parts and ``now``'s changing ones."""
        return StudyState(
            study_id=self.study_id,
            config=self.config,
            problem=self.problem.name,
            bounds=self.problem.bounds,
            fidelities=self.fidelities,
            iteration=iteration,
            seed=iteration_seed(self.config.run.seed, iteration),
            run_seed=self.config.run.seed,
            device=self.config.run.device,
            run_dir=str(self.run_dir) if self.run_dir else None,
            **now,
        )

    def best(self) -> Observation | None:
        """The best evaluated high-fidelity observation (the recommendation)."""
        return self.dataset.best(self.target.name)

    def stop_reason(self) -> str | None:
        """Why the study must stop now, or None."""
        return self._stop or self.stopping.reason(self.snapshot())

    # design -------------------------------------------------------------------------------
    def _checked_design(self) -> list[Candidate]:
        """The strategy's initial design, refused (ConfigError) when ``[budget]`` cannot pay for it."""
        design = [self._validated(c, 0) for c in self.strategy.design(self.snapshot_before_store())]
        cost = sum(self.costs[c.fidelity] for c in design)
        budget = self.config.budget
        if budget.total is not None and cost > budget.total + EPS:
            raise ConfigError(
                f"{self.source}: [budget].total: the initial design alone costs {cost:g} > {budget.total:g}; "
                "raise the budget or lower [design].samples"
            )
        if budget.max_evaluations is not None and len(design) > budget.max_evaluations:
            raise ConfigError(
                f"{self.source}: [budget].max_evaluations: the initial design alone has {len(design)} points "
                f"> {budget.max_evaluations}; raise max_evaluations or lower [design].samples"
            )
        return design

    # ask / tell ---------------------------------------------------------------------------
    def ask(self) -> list[Candidate]:
        """Candidates to evaluate next, recorded as pending; an empty list means the study is over
        (its status and stop reason are then in the store, for ``mfopt report``)."""
        if self._queue:
            batch, self._queue = self._queue, []
        else:
            batch = [] if self.stop_reason() else self._propose()
        if not batch:
            if not self._outstanding:
                self.close_run("finished")
            return []
        self._hand_out(batch)
        return [replace(c, study=self.study_id) for c in batch]

    def _hand_out(self, batch: Sequence[Candidate]) -> None:
        if self.store.meta().get("status") != "running":
            self.store.set_meta({"status": "running"})
        self.store.start([c.id for c in batch if c.id is not None])
        for c in batch:
            assert c.id is not None
            self._outstanding[c.id] = c

    @classmethod
    def open(
        cls, run_dir: str | Path, *, problem: Problem | None = None, plugin_manager: PluginManager | None = None
    ) -> Study:
        """The study in ``run_dir``, reopened with the configuration stored there (another process
        may have asked its candidates). Its pending candidates can be told by id
        (``study.tell(candidate_id, value)``); :meth:`ask` hands them out again first, as
        ``--resume`` does, for evaluations that were lost. ``problem``: the
        :class:`~mfopt.problem.Problem` object the run was created with, if it had no ``[problem]``.
        The run's lock allows one open study at a time: close it before another process opens it.
        """
        reader = RunStore.open(run_dir, lock=False)
        try:
            stored = reader.meta().get("config")
        finally:
            reader.close()
        if not isinstance(stored, Mapping):
            raise ConfigError(f"{run_dir}: the run store holds no configuration")
        config = parse_config(stored, f"{run_dir} (stored configuration)")
        if config.problem is None and problem is None:
            raise ConfigError(f"{run_dir} was run with a Problem object: pass it again, Study.open(..., problem=...)")
        return cls(config, run_dir=run_dir, problem=problem, plugin_manager=plugin_manager, resume=True,
                   source=str(run_dir))  # fmt: skip

    def _pending(self, candidate_id: int) -> Candidate | None:
        """The pending candidate ``candidate_id``: handed out by this study, or queued from the
        store (asked by another process); a queued one is taken out of the queue."""
        if candidate_id in self._outstanding:
            return self._outstanding[candidate_id]
        for i, c in enumerate(self._queue):
            if c.id == candidate_id:
                del self._queue[i]
                self._outstanding[candidate_id] = c
                return c
        return None

    def tell(
        self,
        candidate: Candidate | int,
        value: float | None = None,
        *,
        gradient: Sequence[float] | None = None,
        error: str | None = None,
        duration: float = 0.0,
    ) -> Observation:
        """Record the outcome of an asked candidate: a value, or an ``error`` (a failed evaluation).

        ``candidate`` is the asked :class:`Candidate` or its id (``candidate.id``), which also
        names a candidate that another process asked (see :meth:`open`).

        A value that is not finite, or beyond :data:`mfopt.evaluation.VALUE_LIMIT` in magnitude,
        is recorded as a failed evaluation. Telling a candidate this study did not ask (or asked
        with another point), a value that is not a real number (a str, a bool) or a gradient of
        the wrong length is a :class:`MfoptError`.
        """
        if isinstance(candidate, int) and not isinstance(candidate, bool):
            found = self._pending(candidate)
            if found is None:
                raise MfoptError(f"candidate {candidate} is not pending in this study (never asked, or already told)")
            candidate = found
        if not isinstance(candidate, Candidate):
            raise MfoptError(f"tell() takes a Candidate or its id, got {type(candidate).__name__} {candidate!r}")
        if candidate.study is not None and candidate.study != self.study_id:
            raise MfoptError(
                f"candidate {candidate.id} was asked by study {candidate.study}, not by this one ({self.study_id})"
            )
        known = self._pending(candidate.id) if candidate.id is not None else None
        if known is None:
            raise MfoptError(f"candidate {candidate.id} was not asked by this study, or was already told")
        if (known.x, known.fidelity) != (tuple(candidate.x), candidate.fidelity):
            raise MfoptError(
                f"candidate {candidate.id} was not asked by this study ({self.study_id}): its candidate "
                f"{candidate.id} is x={list(known.x)} at {known.fidelity!r}, not x={list(candidate.x)} "
                f"at {candidate.fidelity!r}"
            )
        number = None if value is None else _real(value, "value")
        grad = None
        if gradient is not None:
            grad = tuple(_real(g, "gradient component") for g in gradient)
            if len(grad) != self.problem.dim:
                raise MfoptError(f"gradient has {len(grad)} components, the problem has {self.problem.dim}")
        if error is None:
            error = "no value" if number is None else value_error(number)
        if error is not None:
            obs = self.failed(known, error, duration)
        else:
            obs = Observation(
                known.x, known.fidelity, number, Status.OK, self.costs[known.fidelity], grad, None, known.id,
                known.iteration, duration, known.params,
            )  # fmt: skip
        self.record([obs])
        return obs

    def add_evaluation(
        self,
        point: Mapping[str, Any] | Sequence[float],
        fidelity: str,
        value: float | None = None,
        *,
        error: str | None = None,
        duration: float = 0.0,
        iteration: int = 0,
    ) -> Observation:
        """Record an evaluation this study did not hand out (made by another tool, or in an earlier
        process that left no run store) and return its observation.

        ``point``: the named parameters (a mapping) or the encoded vector. It is stored like an
        asked candidate told at once (store, dataset, observers). A point of the initial design
        still to be asked at the same fidelity is dropped from the design, so a study rebuilt from
        outside evaluations with the same seed does not evaluate its design twice.
        """
        x = self._point(point, fidelity, "add_evaluation")
        if error is None and value is None:
            raise MfoptError("add_evaluation() needs a value, or error='reason'")
        if self._design is not None:
            kept = [c for c in self._design if (tuple(self.space.snap(c.x).tolist()), c.fidelity) != (x, fidelity)]
            self._design = kept or None
        (recorded,) = self._record_candidates([Candidate(x, fidelity, None, iteration)], [])
        self._hand_out([recorded])
        return self.tell(recorded, value, error=error, duration=duration)

    def enqueue(
        self, points: Sequence[Mapping[str, Any] | Sequence[float]], fidelity: str, *, iteration: int = 0
    ) -> list[Candidate]:
        """Record ``points`` (named parameters or encoded vectors) at ``fidelity`` as candidates
        that the next :meth:`ask` hands out before any proposal (a caller's own choice of points,
        as Optuna's ``enqueue_trial``: e.g. the best cheap runs re-evaluated at the target).
        They are stored like proposals, so a reopened study hands them out again until told.
        Points the budget (``total``, ``max_evaluations``) cannot pay for are dropped; returns
        the recorded ones."""
        candidates = [Candidate(self._point(p, fidelity, "enqueue"), fidelity, None, iteration) for p in points]
        recorded = self._record_candidates(self._affordable(candidates), [])
        self._queue.extend(recorded)
        return recorded

    def _point(self, point: Mapping[str, Any] | Sequence[float], fidelity: str, caller: str) -> tuple[float, ...]:
        """``point`` as the study's canonical encoded vector at a known ``fidelity`` (else MfoptError)."""
        if fidelity not in self.costs:
            raise MfoptError(f"unknown fidelity {fidelity!r}; this study has {sorted(self.costs)}")
        try:
            if isinstance(point, Mapping):
                vector = self.space.encode(point)
            else:
                vector = self.space.snap([_real(v, "coordinate") for v in point])
        except ValueError as exc:
            raise MfoptError(f"{caller}(): {exc}") from None
        return tuple(vector.tolist())

    def failed(self, candidate: Candidate, error: str, duration: float = 0.0) -> Observation:
        """A failed evaluation of ``candidate`` with ``error`` (not recorded yet)."""
        return Observation(
            candidate.x, candidate.fidelity, None, Status.FAILED, self.costs[candidate.fidelity], None, error,
            candidate.id, candidate.iteration, duration, candidate.params,
        )  # fmt: skip

    def record(self, observations: Sequence[Observation]) -> None:
        """Record finished evaluations in the store and the dataset, then tell the observers."""
        self.store.complete(observations)
        self.store.set_meta({"elapsed": self.elapsed})  # wall time survives a killed run
        for o in observations:
            self._outstanding.pop(o.id or -1, None)
        self.dataset.extend(observations)
        self.pm.after_evaluate(self.snapshot(), observations)

    def _record_candidates(self, candidates: Sequence[Candidate], decisions: Sequence[Decision]) -> list[Candidate]:
        candidates = [self.space.complete(c) for c in candidates]  # canonical x and named params
        recorded = self.store.add_candidates(candidates, self.costs)
        self.pm.after_propose(self.snapshot(), recorded, decisions)
        return recorded

    def close_run(self, status: str) -> None:
        """Mark the run ``status`` (``finished``, ``interrupted``) with its stop reason."""
        self._stop = self.stop_reason() or status
        self.store.set_meta({"status": status, "elapsed": self.elapsed, "stop_reason": self._stop})

    # one iteration ------------------------------------------------------------------------
    def _next_iteration(self) -> int:
        done = [it["iteration"] for it in self.store.iterations()]
        return max([self.store.last_iteration(), *done]) + 1

    def _propose(self) -> list[Candidate]:
        """The design (first call of a new run) or the strategy's next proposal, recorded."""
        if self._design is not None:
            design, self._design = self._design, None
            return self._record_candidates(self._affordable(design), [])
        iteration = self._iteration
        name = self.config.strategy.name
        try:
            proposal = self.strategy.propose(self.snapshot())
        except MfoptError:
            raise
        except Exception as exc:
            raise PluginError(f"strategy {name!r} failed: {type(exc).__name__}: {exc}") from exc
        self.decisions = list(proposal.decisions)
        self.store.add_decisions(iteration, proposal.decisions)
        candidates = [self._validated(c, iteration) for c in proposal.candidates]
        kept = self._affordable(candidates)
        self.store.add_iteration(iteration, proposal.model or name, list(proposal.fidelities), dict(proposal.info))
        if not kept:  # the stored decisions reach the observers too, with this proposal's iteration
            self._stop = "budget" if candidates else "strategy"
            self.pm.after_propose(self.snapshot(), [], proposal.decisions)
            self._iteration += 1
            return []
        self._iteration += 1
        return self._record_candidates(kept, proposal.decisions)

    def _validated(self, c: Candidate, iteration: int) -> Candidate:
        """A strategy's candidate at a known fidelity, ``d`` finite coordinates in the box."""
        name = self.config.strategy.name
        if c.fidelity not in {f.name for f in self.fidelities}:
            raise PluginError(
                f"strategy {name!r} proposed fidelity {c.fidelity!r}; it uses {[f.name for f in self.fidelities]}"
            )
        x = torch.as_tensor(c.x, dtype=torch.float64)
        lb, ub = self.problem.bounds
        if x.shape != lb.shape or not bool(torch.isfinite(x).all()):
            raise PluginError(f"strategy {name!r} proposed a malformed point {c.x}")
        span = ub - lb
        if bool(((x < lb - 1e-6 * span) | (x > ub + 1e-6 * span)).any()):
            raise PluginError(f"strategy {name!r} proposed {c.x}, outside the bounds")
        x = torch.minimum(torch.maximum(x, lb), ub)
        return Candidate(tuple(float(v) for v in x), c.fidelity, None, iteration, c.params)

    def _affordable(self, candidates: Sequence[Candidate]) -> list[Candidate]:
        """Drop proposals that would overspend the budget or exceed ``max_evaluations``."""
        remaining = self.remaining_budget
        slots = self.config.budget.max_evaluations
        left = math.inf if slots is None else slots - self.store.count()
        kept = []
        for c in candidates:
            cost = self.costs[c.fidelity]
            if cost <= remaining + EPS and left >= 1:
                kept.append(c)
                remaining -= cost
                left -= 1
        return kept

    # running ------------------------------------------------------------------------------
    def take(self, propose: bool) -> Candidate | None:
        """The next candidate to submit, handed out (pending): queued ones first, else (if
        ``propose`` and no stopping condition holds) a new proposal. None: nothing to submit."""
        if not self._queue:
            if not propose or self.stop_reason():
                return None
            self._queue = self._propose()
            if not self._queue:
                return None
        candidate = self._queue.pop(0)
        self._hand_out([candidate])
        return candidate

    def propose_ahead(self) -> None:
        """Propose now, conditioned on every pending point, for the next worker that frees (no-op
        when candidates are queued or a stopping condition holds)."""
        if not self._queue and not self.stop_reason():
            self._queue = self._propose()

    def run(self, executor: Executor | None = None) -> StudyResult:
        """Run to a stopping condition with the configured executor; returns the result
        (:func:`mfopt.executor_loop.run_study`).

        :param executor: an executor to use instead of ``[executor]`` (it stays open: its owner
            shuts it down, so one warm pool can serve several studies).

        KeyboardInterrupt (and SIGTERM) marks the run ``interrupted`` (resumable) and propagates.
        """
        from mfopt.executor_loop import run_study

        return run_study(self, executor)

    def result(self) -> StudyResult:
        return summarize(
            self.store.observations(include_pending=True),
            [f.name for f in self.fidelities],
            self.target.name,
            self.config.budget.total,
            self.stop_reason() or "running",
            max(0, self._iteration - 1),
            str(self.run_dir) if self.run_dir else None,
        )

    def to_dataframe(self) -> pd.DataFrame:
        """Every evaluation, one row each, as a pandas DataFrame (:func:`mfopt.export.to_dataframe`)."""
        from mfopt.export import to_dataframe

        return to_dataframe(self.store)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Study:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _real(value: Any, what: str) -> float:
    """``value`` as a float if it is a real number (a bool or a str is not); else MfoptError."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise MfoptError(f"the {what} must be a real number, got {type(value).__name__} {value!r}")
    return float(value)
