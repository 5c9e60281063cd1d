"""The study: propose -> evaluate -> update, with the low-fidelity gate, budget accounting,
stopping rules and ask/tell.

``Study.ask()`` returns candidates (the initial design first, then model-based proposals) that
are already recorded in the run store as pending; ``Study.tell()`` records an outcome.
``Study.run()`` is built on the two, evaluating through the configured executor. Each iteration:

1. the detector judges every cheap source against the target on the sample in hand (the gate);
2. the multi-fidelity surrogate is fitted on the target plus the open sources, or the
   single-fidelity surrogate on the target alone when every source is gated off;
3. the acquisition proposes up to ``q`` candidates at allowed fidelities; proposals that would
   overspend the budget or exceed ``max_evaluations`` are dropped;
4. decisions, fit information and candidates are written to the store before evaluation.
"""

from __future__ import annotations

import hashlib
import time
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, as_completed
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from mfopt.acquisition import ProposalContext
from mfopt.components import build_components, build_executor
from mfopt.config import StudyConfig, parse_config
from mfopt.data import Candidate, Dataset, Decision, Fidelity, Observation, Status
from mfopt.design import lhs, nested_design
from mfopt.errors import ConfigError, MfoptError, PluginError
from mfopt.evaluation import evaluate_candidate
from mfopt.plugin.manager import PluginManager, get_plugin_manager
from mfopt.problem import Problem
from mfopt.result import StudyResult, summarize
from mfopt.store import RunStore
from mfopt.surrogate import FittedSurrogate, Surrogate

EPS = 1e-9


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
        self.config = config if isinstance(config, StudyConfig) else parse_config(config, source)
        self.source = source
        self.pm = plugin_manager or get_plugin_manager()
        parts = build_components(self.config, self.pm, source, problem)
        self.problem = parts.problem
        self.surrogate = parts.surrogate
        self.multi_surrogate = parts.multi_surrogate
        self.detector = parts.detector
        self.acquisition = parts.acquisition
        target = self.problem.target
        self.fidelities: tuple[Fidelity, ...] = self.problem.fidelities if self.multi_surrogate else (target,)
        self.costs = {f.name: f.cost for f in self.problem.fidelities}
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.store = self._open_store(resume)
        self.dataset = Dataset(self.problem.bounds, self.fidelities, self.store.observations())
        self._queue: list[Candidate] = self.store.pending()
        self._outstanding: dict[int, Candidate] = {}
        self.decisions: list[Decision] = []
        self._stop: str | None = None
        self._clock = time.monotonic()
        self._elapsed_before = float(self.store.meta().get("elapsed", 0.0))
        self._check_design_budget()

    # store --------------------------------------------------------------------------------
    def _open_store(self, resume: bool) -> RunStore:
        meta = {
            "config": self.config.dump(),
            "problem": self.problem.name,
            "dim": self.problem.dim,
            "bounds": self.problem.bounds.tolist(),
            "fidelities": [{"name": f.name, "level": f.level, "cost": f.cost} for f in self.fidelities],
            "target": self.problem.target.name,
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
            return store
        return RunStore.create(self.run_dir, meta)

    def _check_same_config(self, stored: Mapping[str, Any]) -> None:
        before = dict(stored.get("config", {}))
        now = self.config.dump()
        for section in sorted(set(before) | set(now)):
            if section in ("budget", "run"):
                continue  # a resumed run may get more budget, or run on another device
            if before.get(section) != now.get(section):
                raise ConfigError(
                    f"{self.run_dir} was started with a different [{section}] section; "
                    "resume it with its original configuration, or start a new run with --run-dir"
                )

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
        return float("inf") if total is None else total - self.cost_committed

    @property
    def elapsed(self) -> float:
        return self._elapsed_before + (time.monotonic() - self._clock)

    def best(self) -> Observation | None:
        """The best evaluated high-fidelity observation (the recommendation)."""
        return self.dataset.best(self.target.name)

    def stop_reason(self) -> str | None:
        """Why the study must stop now, or None."""
        if self._stop:
            return self._stop
        b = self.config.budget
        if b.total is not None and self.remaining_budget < min(f.cost for f in self.fidelities) - EPS:
            return "budget"
        if b.max_evaluations is not None and self.store.count() >= b.max_evaluations:
            return "max_evaluations"
        best = self.best()
        if b.target is not None and best is not None and best.value is not None and best.value <= b.target:
            return "target"
        if b.wall_time is not None and self.elapsed >= b.wall_time:
            return "wall_time"
        return None

    # design -------------------------------------------------------------------------------
    def design_sizes(self) -> list[int]:
        """Initial points per fidelity in use, cheapest first (defaults: max(3, 2d) at the target,
        twice that at each cheaper level)."""
        samples = self.config.design.samples
        unknown = set(samples) - {f.name for f in self.fidelities}
        if unknown:
            raise ConfigError(
                f"{self.source}: [design].samples: no fidelity {sorted(unknown)} in use "
                f"(fidelities: {[f.name for f in self.fidelities]})"
            )
        n_target = max(3, 2 * self.problem.dim)
        sizes = []
        for depth, f in enumerate(reversed(self.fidelities)):
            sizes.append(samples.get(f.name, n_target * 2**depth))
        sizes.reverse()
        for cheap, dear, f in zip(sizes, sizes[1:], self.fidelities[1:], strict=False):
            if cheap < dear:
                raise ConfigError(
                    f"{self.source}: [design].samples: {f.name} has more points than a cheaper fidelity "
                    f"({dear} > {cheap}); nested designs need the cheaper sources to hold at least as many"
                )
        return sizes

    def _check_design_budget(self) -> None:
        if self.store.count() > 0:
            return
        cost = sum(n * f.cost for n, f in zip(self.design_sizes(), self.fidelities, strict=True))
        total = self.config.budget.total
        if total is not None and cost > total + EPS:
            raise ConfigError(
                f"{self.source}: [budget].total: the initial design alone costs {cost:g} > {total:g}; "
                "raise the budget or lower [design].samples"
            )

    def _design_candidates(self) -> list[Candidate]:
        seed = self.config.design.seed if self.config.design.seed is not None else self.config.run.seed
        designs = nested_design(self.problem.bounds, self.design_sizes(), seed=seed)
        return [
            Candidate(tuple(float(v) for v in row), f.name, None, 0)
            for f, X in zip(self.fidelities, designs, strict=True)
            for row in X
        ]

    # ask / tell ---------------------------------------------------------------------------
    def ask(self) -> list[Candidate]:
        """Candidates to evaluate next, recorded as pending; an empty list means the study is over."""
        if self._queue:
            batch, self._queue = self._queue, []
        else:
            if self.stop_reason():
                return []
            if self.store.count() == 0:
                batch = self._record_candidates(self._design_candidates(), [])
            else:
                batch = self._propose()
        for c in batch:
            assert c.id is not None
            self._outstanding[c.id] = c
        return batch

    def tell(
        self,
        candidate: Candidate,
        value: float | None = None,
        *,
        gradient: Sequence[float] | None = None,
        error: str | None = None,
        duration: float = 0.0,
    ) -> Observation:
        """Record the outcome of an asked candidate: a value, or an ``error`` (a failed evaluation)."""
        if candidate.id is None or candidate.id not in self._outstanding:
            raise MfoptError(f"candidate {candidate.id} was not asked by this study, or was already told")
        failed = error is not None or value is None or value != value or value in (float("inf"), float("-inf"))
        if failed and error is None:
            error = "no value" if value is None else f"the objective returned {value}"
        obs = Observation(
            candidate.x,
            candidate.fidelity,
            None if failed else float(value),  # type: ignore[arg-type]
            Status.FAILED if failed else Status.OK,
            self.costs[candidate.fidelity],
            tuple(float(g) for g in gradient) if gradient is not None and not failed else None,
            error,
            candidate.id,
            candidate.iteration,
            duration,
        )
        self._record([obs])
        return obs

    def _record(self, observations: Sequence[Observation]) -> None:
        self.store.complete(observations)
        self.store.set_meta({"elapsed": self.elapsed})  # wall time survives a killed run
        for o in observations:
            self._outstanding.pop(o.id or -1, None)
        self.dataset.extend(observations)
        self.pm.after_evaluate(self, observations)

    def _record_candidates(self, candidates: Sequence[Candidate], decisions: Sequence[Decision]) -> list[Candidate]:
        recorded = self.store.add_candidates(candidates, self.costs)
        self.pm.after_propose(self, recorded, decisions)
        return recorded

    # one iteration ------------------------------------------------------------------------
    def _next_iteration(self) -> int:
        done = [it["iteration"] for it in self.store.iterations()]
        return max([self.store.last_iteration(), *done]) + 1

    def gate(self) -> list[Decision]:
        """The detector's verdict on every cheap source (empty for a single-fidelity study)."""
        if self.detector is None:
            return []
        decisions = []
        for f in self.fidelities[:-1]:
            pair = self.dataset.restrict([f.name, self.target.name])
            try:
                d = self.detector.assess(pair)
            except Exception as exc:
                raise PluginError(
                    f"detector {self.config.detector.name!r} failed: {type(exc).__name__}: {exc}"
                ) from exc
            decisions.append(
                Decision(
                    d.use_low, dict(d.features), d.rule, d.reason, f.name, self.target.name, self.config.detector.name
                )
            )
        return decisions

    def _propose(self) -> list[Candidate]:
        iteration = self._next_iteration()
        seed = iteration_seed(self.config.run.seed, iteration)
        decisions = self.gate()
        self.decisions = decisions
        self.store.add_decisions(iteration, decisions)
        open_sources = [d.source for d in decisions if d.use_low]
        allowed = tuple(f for f in self.fidelities if f.name in open_sources or f is self.target)
        names = [f.name for f in allowed]
        use_multi = bool(open_sources) and self.multi_surrogate is not None
        info: dict[str, Any] = {"seed": seed}
        fitted: FittedSurrogate | None = None
        label = self.config.surrogate.name
        if len(self.dataset.successful(self.target.name)) >= 2:
            torch.manual_seed(seed)
            fitted, label, data, names = self._fit(use_multi, names, info)
        if fitted is None:
            info["note"] = "no model (fewer than 2 successful high-fidelity points, or every fit failed): "
            info["note"] += "a space-filling high-fidelity point instead"
            x = lhs(1, self.problem.bounds, seed=seed)[0]
            candidates = [Candidate(tuple(float(v) for v in x), self.target.name, None, iteration)]
            names = [self.target.name]
        else:
            allowed = tuple(f for f in allowed if f.name in names)
            context = ProposalContext(
                self.problem.bounds, allowed, self.config.acquisition.q, self.remaining_budget, seed, iteration
            )
            start = time.perf_counter()
            try:
                proposed = self.acquisition.propose(fitted, data, context)
            except MfoptError:
                raise
            except Exception as exc:
                raise PluginError(
                    f"acquisition {self.config.acquisition.name!r} failed: {type(exc).__name__}: {exc}"
                ) from exc
            info["propose_seconds"] = time.perf_counter() - start
            candidates = [self._checked(c, names, iteration) for c in proposed[: context.q]]
        candidates = self._affordable(candidates)
        self.store.add_iteration(iteration, label, names, info)
        if not candidates:
            self._stop = "budget"
            return []
        return self._record_candidates(candidates, decisions)

    def _fit(
        self, use_multi: bool, names: list[str], info: dict[str, Any]
    ) -> tuple[FittedSurrogate | None, str, Dataset, list[str]]:
        """Fit the multi-fidelity surrogate (gate open) or the single-fidelity one; a fit that
        raises falls back to the next (multi -> single -> none), recorded in ``info`` and warned."""
        target = [self.target.name]
        attempts: list[tuple[Surrogate, str, list[str]]] = []
        if use_multi and self.multi_surrogate is not None and self.config.multi_surrogate is not None:
            attempts.append((self.multi_surrogate, self.config.multi_surrogate.name, names))
        attempts.append((self.surrogate, self.config.surrogate.name, target))
        for surrogate, label, fit_names in attempts:
            data = self.training_data(fit_names, impute=not surrogate.needs_gradients)
            start = time.perf_counter()
            try:
                fitted = surrogate.fit(data)
            except Exception as exc:  # a model that cannot be fitted must not end the study
                message = f"surrogate {label!r} failed to fit: {type(exc).__name__}: {exc}"
                info.setdefault("fit_errors", []).append(message)
                warnings.warn(message, RuntimeWarning, stacklevel=2)
                continue
            info.update({"fit_seconds": time.perf_counter() - start, "model": fitted.info})
            return fitted, label, data, fit_names
        return None, self.config.surrogate.name, self.dataset.restrict(target), target

    def training_data(self, names: Sequence[str], impute: bool = True) -> Dataset:
        """The data a surrogate is fitted on: successful observations, plus (with
        ``[run].impute_failures``) each failed point at the worst value seen at its fidelity."""
        data = self.dataset.restrict(names)
        if not (impute and self.config.run.impute_failures):
            return data
        worst = {n: max((o.value for o in data.successful(n) if o.value is not None), default=None) for n in names}
        imputed = [
            replace(o, value=worst[o.fidelity], status=Status.OK, gradient=None)
            for o in data.observations
            if o.status is Status.FAILED and worst.get(o.fidelity) is not None
        ]
        return data.with_observations([*data.successful(), *imputed]) if imputed else data

    def _checked(self, c: Candidate, allowed: Sequence[str], iteration: int) -> Candidate:
        name = self.config.acquisition.name
        if c.fidelity not in allowed:
            raise PluginError(f"acquisition {name!r} proposed fidelity {c.fidelity!r}, allowed now: {list(allowed)}")
        x = torch.as_tensor(c.x, dtype=torch.float64)
        lb, ub = self.problem.bounds
        if x.shape != lb.shape or not bool(torch.isfinite(x).all()):
            raise PluginError(f"acquisition {name!r} proposed a malformed point {c.x}")
        span = ub - lb
        if bool(((x < lb - 1e-6 * span) | (x > ub + 1e-6 * span)).any()):
            raise PluginError(f"acquisition {name!r} proposed {c.x}, outside the bounds")
        x = torch.minimum(torch.maximum(x, lb), ub)
        return Candidate(tuple(float(v) for v in x), c.fidelity, None, iteration)

    def _affordable(self, candidates: Sequence[Candidate]) -> list[Candidate]:
        """Drop proposals that would overspend the budget or exceed ``max_evaluations``."""
        remaining = self.remaining_budget
        slots = self.config.budget.max_evaluations
        left = float("inf") if slots is None else slots - self.store.count()
        kept = []
        for c in candidates:
            cost = self.costs[c.fidelity]
            if cost <= remaining + EPS and left >= 1:
                kept.append(c)
                remaining -= cost
                left -= 1
        return kept

    # running ------------------------------------------------------------------------------
    def run(self) -> StudyResult:
        """Run to a stopping rule with the configured executor; returns the result.

        KeyboardInterrupt marks the run ``interrupted`` (resumable) and propagates.
        """
        self.store.set_meta({"status": "running"})
        self.pm.study_start(self)
        executor = build_executor(self.config, self.pm, self.source)
        status = "interrupted"
        try:
            while batch := self.ask():
                futures: dict[Future[Observation], Candidate] = {
                    executor.submit(evaluate_candidate, self.problem, c): c for c in batch
                }
                for future in as_completed(futures):
                    self._record([self._outcome(future, futures[future])])
            status = "finished"
        finally:
            executor.shutdown(wait=status == "finished", cancel_futures=True)
            self.store.set_meta(
                {"status": status, "elapsed": self.elapsed, "stop_reason": self.stop_reason() or status}
            )
        result = self.result()
        self.pm.study_end(self, result)
        return result

    def _outcome(self, future: Future[Observation], candidate: Candidate) -> Observation:
        try:
            return future.result()
        except Exception as exc:  # the executor itself failed (pickling, a lost worker)
            return Observation(
                candidate.x,
                candidate.fidelity,
                None,
                Status.FAILED,
                self.costs[candidate.fidelity],
                None,
                f"executor: {type(exc).__name__}: {exc}",
                candidate.id,
                candidate.iteration,
            )

    def result(self) -> StudyResult:
        return summarize(
            self.store.observations(include_pending=True),
            [f.name for f in self.fidelities],
            self.target.name,
            self.config.budget.total,
            self.stop_reason() or "running",
            max(0, self._next_iteration() - 1),
            str(self.run_dir) if self.run_dir else None,
        )

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Study:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
