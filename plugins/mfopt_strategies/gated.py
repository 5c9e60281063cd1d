"""The ``gated`` strategy: the low-fidelity gate in front of a multi-fidelity surrogate.

Built from ``[surrogate]``, ``[multi_surrogate]``, ``[detector]`` and ``[acquisition]`` (through
the registries), it proposes each iteration as follows:

1. the detector judges every cheap source against the target on the sample in hand (the gate);
2. the multi-fidelity surrogate is fitted on the target plus the open sources, or the
   single-fidelity surrogate on the target alone when every source is gated off; a fit that
   raises falls back (multi -> single -> a space-filling high-fidelity point), recorded and warned;
   with ``[run].impute_failures`` each failed point enters the fit at the worst value seen at its
   fidelity (not for models that need gradients: a failed point has none), except a timed-out
   one (error containing ``"failed-timeout"``): a killed slow run says nothing about quality;
3. with evaluations still pending (asynchronous workers), a Kriging believer: each pending point
   is added at the fitted model's posterior mean and the surrogate is refitted, so the
   acquisition does not propose a point already being evaluated;
4. the acquisition proposes up to ``q`` candidates at the fidelities allowed this iteration.

Fidelity levels reach the models divided by the highest level (:func:`mfopt.data.normalise_levels`:
a problem may declare epochs 3 and 27; the models see 1/9 and 1).

The initial design is a nested maximin LHS: ``[design].samples`` per fidelity (defaults: max(3, 2d)
at the target, twice as many at each cheaper level).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import replace
from typing import Any

import torch

from mfopt.acquisition import Acquisition, ProposalContext
from mfopt.components import build_components
from mfopt.data import Candidate, Dataset, Decision, Fidelity, Observation, Status, normalise_levels
from mfopt.design import lhs, nested_design
from mfopt.detector import HarmDetector
from mfopt.errors import ConfigError, MfoptError, PluginError
from mfopt.state import StudyState
from mfopt.strategy import Proposal, Strategy, StrategyContext
from mfopt.surrogate import FittedSurrogate, Surrogate

#: the mark a problem puts in the error of an evaluation killed for running too long
TIMEOUT_MARK = "failed-timeout"


def timed_out(o: Observation) -> bool:
    """Whether a failed evaluation was a timeout: its error contains ``TIMEOUT_MARK``
    (``"failed-timeout"``, the mark the SOLAR problem and any problem plugin may put in the
    error of a killed run). A timeout is left out of the worst-value imputation."""
    return o.error is not None and TIMEOUT_MARK in o.error


class GatedStrategy(Strategy):
    """Detector gate -> multi- or single-fidelity fit (with fallback) -> acquisition."""

    def __init__(self, context: StrategyContext) -> None:
        config = context.config
        parts = build_components(config, context.plugin_manager, context.source, context.problem)
        self.config = config
        self.source = context.source
        self.bounds = context.problem.bounds
        self.surrogate: Surrogate = parts.surrogate
        self.multi_surrogate: Surrogate | None = parts.multi_surrogate
        self.detector: HarmDetector | None = parts.detector
        self.acquisition: Acquisition = parts.acquisition
        problem = context.problem
        fidelities = normalise_levels(problem.fidelities)  # the models see levels in (0, 1], target 1
        self._fidelities = fidelities if self.multi_surrogate is not None else (fidelities[-1],)
        self.needs_gradients = self.surrogate.needs_gradients or bool(
            self.multi_surrogate is not None and self.multi_surrogate.needs_gradients
        )
        self.design_sizes()  # a bad [design] is a ConfigError now, before any store exists

    @property
    def fidelities(self) -> tuple[Fidelity, ...]:
        return self._fidelities

    @property
    def target(self) -> Fidelity:
        return self._fidelities[-1]

    # design -------------------------------------------------------------------------------
    def design_sizes(self) -> list[int]:
        """Initial points per fidelity in use, cheapest first."""
        samples = self.config.design.samples
        unknown = set(samples) - {f.name for f in self.fidelities}
        if unknown:
            raise ConfigError(
                f"{self.source}: [design].samples: no fidelity {sorted(unknown)} in use "
                f"(fidelities: {[f.name for f in self.fidelities]})"
            )
        n_target = max(3, 2 * int(self.bounds.shape[1]))
        sizes = [samples.get(f.name, n_target * 2**depth) for depth, f in enumerate(reversed(self.fidelities))]
        sizes.reverse()
        for cheap, dear, f in zip(sizes, sizes[1:], self.fidelities[1:], strict=False):
            if cheap < dear:
                raise ConfigError(
                    f"{self.source}: [design].samples: {f.name} has more points than a cheaper fidelity "
                    f"({dear} > {cheap}); nested designs need the cheaper sources to hold at least as many"
                )
        return sizes

    def design(self, state: StudyState) -> list[Candidate]:
        seed = self.config.design.seed if self.config.design.seed is not None else state.run_seed
        designs = nested_design(state.bounds, self.design_sizes(), seed=seed)
        return [
            Candidate(tuple(float(v) for v in row), f.name, None, 0)
            for f, X in zip(self.fidelities, designs, strict=True)
            for row in X
        ]

    # one iteration ------------------------------------------------------------------------
    def gate(self, dataset: Dataset) -> list[Decision]:
        """The detector's verdict on every cheap source (empty for a single-fidelity study)."""
        if self.detector is None:
            return []
        decisions = []
        for f in self.fidelities[:-1]:
            pair = dataset.restrict([f.name, self.target.name])
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

    def propose(self, state: StudyState) -> Proposal:
        dataset = state.dataset()
        decisions = self.gate(dataset)
        open_sources = [d.source for d in decisions if d.use_low]
        names = [f.name for f in self.fidelities if f.name in open_sources or f == self.target]
        use_multi = bool(open_sources) and self.multi_surrogate is not None
        info: dict[str, Any] = {"seed": state.seed}
        fitted: FittedSurrogate | None = None
        label = self.config.surrogate.name
        if len(dataset.successful(self.target.name)) >= 2:
            torch.manual_seed(state.seed)
            fitted, label, data, names, surrogate = self._fit(dataset, use_multi, names, info)
            if fitted is not None and surrogate is not None and state.pending:
                fitted, data = self._believe(surrogate, fitted, data, state, info)
        if fitted is None:
            info["note"] = "no model (fewer than 2 successful high-fidelity points, or every fit failed): "
            info["note"] += "a space-filling high-fidelity point instead"
            x = lhs(1, state.bounds, seed=state.seed)[0]
            candidates = [Candidate(tuple(float(v) for v in x), self.target.name, None, state.iteration)]
            names = [self.target.name]
        else:
            allowed = tuple(f for f in self.fidelities if f.name in names)
            q = self.config.acquisition.q
            context = ProposalContext(state.bounds, allowed, q, state.remaining_budget, state.seed, state.iteration)
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
            candidates = [self._checked(c, names, state.iteration) for c in proposed[:q]]
        return Proposal(candidates, decisions, label, tuple(names), info)

    def _fit(
        self, dataset: Dataset, use_multi: bool, names: list[str], info: dict[str, Any]
    ) -> tuple[FittedSurrogate | None, str, Dataset, list[str], Surrogate | None]:
        """Fit the multi-fidelity surrogate (gate open) or the single-fidelity one; a fit that
        raises falls back to the next (multi -> single -> none), recorded in ``info`` and warned."""
        target = [self.target.name]
        attempts: list[tuple[Surrogate, str, list[str]]] = []
        if use_multi and self.multi_surrogate is not None and self.config.multi_surrogate is not None:
            attempts.append((self.multi_surrogate, self.config.multi_surrogate.name, names))
        attempts.append((self.surrogate, self.config.surrogate.name, target))
        for surrogate, label, fit_names in attempts:
            data = self.training_data(dataset, fit_names, impute=not surrogate.needs_gradients)
            start = time.perf_counter()
            try:
                fitted = surrogate.refit(data)
            except Exception as exc:  # a model that cannot be fitted must not end the study
                message = f"surrogate {label!r} failed to fit: {type(exc).__name__}: {exc}"
                info.setdefault("fit_errors", []).append(message)
                warnings.warn(message, RuntimeWarning, stacklevel=2)
                continue
            info.update({"fit_seconds": time.perf_counter() - start, "model": fitted.info})
            return fitted, label, data, fit_names, surrogate
        return None, self.config.surrogate.name, dataset.restrict(target), target, None

    def _believe(
        self, surrogate: Surrogate, fitted: FittedSurrogate, data: Dataset, state: StudyState, info: dict[str, Any]
    ) -> tuple[FittedSurrogate, Dataset]:
        """Kriging believer: the pending points at the model's fidelities enter the data at the
        posterior mean, and the same surrogate is refitted on it (skipped for models that need
        gradients; a refit that fails keeps the model without them, noted in ``info``)."""
        pending = [c for c in state.pending if c.fidelity in fitted.levels]
        if not pending or surrogate.needs_gradients:
            return fitted, data
        believed = []
        for name in sorted({c.fidelity for c in pending}):
            points = [c for c in pending if c.fidelity == name]
            X = torch.tensor([c.x for c in points], dtype=torch.float64)
            mean, _ = fitted.predict(X, name if fitted.fidelity_column else None)
            fid = state.fidelity(name)
            believed += [
                Observation(c.x, name, float(m), Status.OK, fid.cost, iteration=c.iteration)
                for c, m in zip(points, mean.tolist(), strict=True)
            ]
        augmented = data.with_observations([*data.observations, *believed])
        try:
            refitted = surrogate.refit(augmented)
        except Exception as exc:
            info["believer_error"] = f"{type(exc).__name__}: {exc}"
            return fitted, data
        info["believed_pending"] = len(believed)
        return refitted, augmented

    def training_data(self, dataset: Dataset, names: list[str], impute: bool = True) -> Dataset:
        """The data a surrogate is fitted on: successful observations, plus (with
        ``[run].impute_failures``) each failed point at the worst value seen at its fidelity,
        except a timed-out one (:func:`timed_out`: it says nothing about quality)."""
        data = dataset.restrict(names)
        if not (impute and self.config.run.impute_failures):
            return data
        worst = {n: max((o.value for o in data.successful(n) if o.value is not None), default=None) for n in names}
        imputed = [
            replace(o, value=worst[o.fidelity], status=Status.OK, gradient=None)
            for o in data.observations
            if o.status is Status.FAILED and worst.get(o.fidelity) is not None and not timed_out(o)
        ]
        return data.with_observations([*data.successful(), *imputed]) if imputed else data

    def _checked(self, c: Candidate, allowed: list[str], iteration: int) -> Candidate:
        """A proposal at a fidelity the gate allows now (else a PluginError), clipped to the box."""
        name = self.config.acquisition.name
        if c.fidelity not in allowed:
            raise PluginError(f"acquisition {name!r} proposed fidelity {c.fidelity!r}, allowed now: {list(allowed)}")
        x = torch.as_tensor(c.x, dtype=torch.float64)
        lb, ub = self.bounds
        if x.shape != lb.shape or not bool(torch.isfinite(x).all()):
            raise PluginError(f"acquisition {name!r} proposed a malformed point {c.x}")
        span = ub - lb
        if bool(((x < lb - 1e-6 * span) | (x > ub + 1e-6 * span)).any()):
            raise PluginError(f"acquisition {name!r} proposed {c.x}, outside the bounds")
        x = torch.minimum(torch.maximum(x, lb), ub)
        return Candidate(tuple(float(v) for v in x), c.fidelity, None, iteration)


def make_gated(context: StrategyContext) -> GatedStrategy:
    """The gated strategy, built from the config's [surrogate], [multi_surrogate], [detector] and
    [acquisition] sections (it has no options of its own)."""
    return GatedStrategy(context)
