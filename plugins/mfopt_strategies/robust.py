"""The ``robust`` strategy: a gate re-judged on the loop's own evidence, with a cap on cheap spending.

Every iteration, for each cheap source separately (``K > 2`` fidelities included):

1. **Evidence** (:mod:`mfopt_strategies.evidence`): the detector's verdict as a prior vote (no
   vote when its rule is a budget rule or its local correlations rest on one-point
   neighbourhoods), closed-form leave-one-out cross-validation of the high-fidelity-only model
   (the *shadow*, fitted every iteration) and of the co-kriging of this source on the target's
   points, and the prequential score: every target point evaluated after the design is scored
   against the predictions both models made before it was evaluated. The source is open while
   the weighted mean log-score advantage of fusing it is positive; the gate can close and reopen.
   A source is *under-sampled* while a model of its own points cannot predict them (closed-form
   LOO Q² below ``undersampled_q2``) although the fused model's LOO beats the shadow's: it then
   stays on probation whatever its prequential score (bad fused predictions say the cheap data
   are too few, not that the source is harmful) and, when the acquisition wants the target, gets
   a cheap point where its own model is most uncertain, inside the spending rules below. The
   probation has a point budget: once the source holds ``undersampled_growth`` times its cheap
   design's points, it continues only while more cheap data still teach the cheap model (its LOO
   Q² on all its points is above a model's of the first half of them); else the score decides.
2. **Spending control** (while a source is open): after ``max_cheap_run`` consecutive iterations
   that evaluated only cheap points, or when a cheap point would bring the target's share of the
   cost spent since the design below a floor (``hf_share_weak`` while the evidence is weak,
   ``hf_share_strong`` once it is strong: at least 3 prequential points and |score| >= 0.5), the
   next point is a target evaluation chosen by ``hf_acquisition`` (LogEI) at the target on the
   better model (it refines the incumbent's basin, where a posterior-mean minimiser hops between
   near-equal minima). On top, a cap on
   the budget: the cheap sources may take at most ``cheap_cap_weak`` of the budget left after
   the design (``cheap_cap_strong`` once an open source's evidence is strong and positive), the
   cheap design's extension included, so at least the rest stays for target evaluations
   whatever the evidence says. A source judged on at least two new target points gets cheap
   evaluations only while its score is at least ``spend_score`` (0.25 nats): below that its fused
   model may still steer the target evaluations, but cheap points would take target evaluations
   away from a run they do not pay for.
3. **The shadow decides**: the model with the better evidence so far (the best open source's
   co-kriging, or the high-fidelity-only model) gives the forced points and the final
   confirmation; with every source closed the proposal is exactly the high-fidelity-only loop
   (``[surrogate]`` + ``hf_acquisition``, LogEI by default).
4. **Design**: a paired probe, the high-fidelity-only design (``[design].samples`` at the target,
   default ``max(3, 2d)``, the same nested-maximin points as a high-fidelity-only study with the
   same seed) with every cheap source evaluated at the same points. When a source first opens, its
   cheap design is extended to ``[design].samples[source]`` points (default twice the target's),
   space-filling, in one proposal.
5. **Budget end**: when the budget left pays for one more target evaluation only, that evaluation
   confirms the better model's posterior-mean minimiser; once it cannot pay for a target
   evaluation, nothing more is proposed (cheap points could no longer lead anywhere).

Every proposal stores one :class:`~mfopt.data.Decision` per cheap source (the detector's features,
the evidence numbers, the spending share, a readable reason) and, in the iteration's ``info``, the
rule applied and the predictions both models made at each proposed target point (the prequential
record).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from botorch.acquisition import FixedFeatureAcquisitionFunction, PosteriorMean
from botorch.optim import optimize_acqf

from mfopt.acquisition import Acquisition, ProposalContext
from mfopt.components import build_components
from mfopt.data import Candidate, Dataset, Decision, Fidelity, Observation, Status, normalise_levels
from mfopt.design import lhs, nested_design
from mfopt.detector import HarmDetector
from mfopt.errors import ConfigError, MfoptError, PluginError
from mfopt.state import StudyState
from mfopt.strategy import Proposal, Strategy, StrategyContext
from mfopt.surrogate import FittedSurrogate, Surrogate
from mfopt_strategies.evidence import (
    PROBATION_POINTS,
    Prediction,
    SourceEvidence,
    advantage,
    loo_advantage,
    loo_q2,
    neighbourhood_sizes,
    prior_vote,
    variance_floor,
)

SHADOW = "shadow"  # the key of the high-fidelity-only model's predictions


@dataclass
class Fits:
    """The models fitted on one sample: the shadow, one co-kriging per cheap source and, per cheap
    source, a single-fidelity model of that source alone (whether it is under-sampled) and, once
    the source's probation budget is reached while it still looks under-sampled, one of the first
    half of its points (whether more cheap data still teach its model something)."""

    shadow: FittedSurrogate | None
    fused: dict[str, FittedSurrogate | None]
    cheap: dict[str, FittedSurrogate | None]
    half: dict[str, FittedSurrogate | None]


class RobustStrategy(Strategy):
    """Evidence-driven gate per cheap source + spending control + high-fidelity-only shadow."""

    def __init__(
        self,
        context: StrategyContext,
        max_cheap_run: int = 3,
        hf_share_weak: float = 0.5,
        hf_share_strong: float = 0.25,
        hf_acquisition: str = "logei",
        confirm: bool = True,
        cheap_cap_weak: float = 0.15,
        cheap_cap_strong: float = 0.3,
        steer_after: int = 1,
        exploit_every: int = 2,
        spend_score: float = 0.25,
        undersampled_q2: float = 0.9,
        undersampled_growth: float = 2.0,
    ) -> None:
        where = f"{context.source}: [strategy]"  # the options were validated by RobustOptions
        config = context.config
        parts = build_components(config, context.plugin_manager, context.source, context.problem)
        self.config = config
        self.source = context.source
        self.surrogate: Surrogate = parts.surrogate
        self.multi_surrogate: Surrogate | None = parts.multi_surrogate
        self.detector: HarmDetector | None = parts.detector
        self.acquisition: Acquisition = parts.acquisition
        shared = {k: v for k, v in config.acquisition.options.items() if k in ("num_restarts", "raw_samples")}
        try:
            context.plugin_manager.acquisitions.get(hf_acquisition)
            self.hf_acquisition: Acquisition = context.plugin_manager.acquisitions.create(
                hf_acquisition, where=f"{where}.hf_acquisition", **shared
            )
        except MfoptError as exc:
            raise ConfigError(f"{where}.hf_acquisition: {exc}") from None
        self.max_cheap_run = max_cheap_run
        self.hf_share_weak = hf_share_weak
        self.hf_share_strong = hf_share_strong
        self.confirm = confirm
        self.cheap_cap_weak = cheap_cap_weak
        self.cheap_cap_strong = cheap_cap_strong
        self.steer_after = steer_after
        self.exploit_every = exploit_every
        self.spend_score = spend_score
        self.undersampled_q2 = undersampled_q2
        self.undersampled_growth = undersampled_growth
        # the model of each cheap source alone: its own instance, so that its warm-start memo does
        # not touch the shadow's (the shadow's fits stay the high-fidelity-only twin's)
        self.cheap_surrogate: Surrogate = build_components(
            config, context.plugin_manager, context.source, context.problem
        ).surrogate
        self.half_surrogate: Surrogate = build_components(
            config, context.plugin_manager, context.source, context.problem
        ).surrogate
        fidelities = normalise_levels(context.problem.fidelities)
        self._fidelities = fidelities if self.multi_surrogate is not None else (fidelities[-1],)
        if self.surrogate.needs_gradients or (
            self.multi_surrogate is not None and self.multi_surrogate.needs_gradients
        ):
            raise ConfigError(f"{where}: the robust strategy needs value-based surrogates (no gradient models)")
        self._bounds = context.problem.bounds
        self._predictions: dict[int, list[tuple[tuple[float, ...], dict[str, Prediction]]]] = {}
        self._prefix_fits: dict[tuple[Any, ...], Fits] = {}
        self.design_sizes()

    @property
    def fidelities(self) -> tuple[Fidelity, ...]:
        return self._fidelities

    @property
    def target(self) -> Fidelity:
        return self._fidelities[-1]

    @property
    def cheap(self) -> tuple[Fidelity, ...]:
        return self._fidelities[:-1]

    # design -------------------------------------------------------------------------------
    def design_sizes(self) -> dict[str, int]:
        """The target's probe size and each cheap source's size once open."""
        samples = self.config.design.samples
        unknown = set(samples) - {f.name for f in self.fidelities}
        if unknown:
            raise ConfigError(f"{self.source}: [design].samples: no fidelity {sorted(unknown)} in use")
        n_target = samples.get(self.target.name, max(3, 2 * int(self.config_dim)))
        sizes = {self.target.name: n_target}
        for f in self.cheap:
            sizes[f.name] = max(samples.get(f.name, 2 * n_target), n_target)
        return sizes

    @property
    def config_dim(self) -> int:
        return int(self._bounds.shape[1])

    def design(self, state: StudyState) -> list[Candidate]:
        seed = self.config.design.seed if self.config.design.seed is not None else state.run_seed
        n = self.design_sizes()[self.target.name]
        X = nested_design(state.bounds, [n], seed=seed)[0]
        rows = [tuple(float(v) for v in row) for row in X]
        return [Candidate(x, f.name, None, 0) for f in self.fidelities for x in rows]

    # fitting ------------------------------------------------------------------------------
    def _fit(self, surrogate: Surrogate | None, data: Dataset, errors: list[str]) -> FittedSurrogate | None:
        if surrogate is None:
            return None
        try:
            return surrogate.refit(data)
        except Exception as exc:  # a model that cannot be fitted is evidence of nothing
            errors.append(f"{type(exc).__name__}: {exc}")
            return None

    def _fit_all(self, dataset: Dataset, errors: list[str]) -> Fits:
        ok = dataset.with_observations(dataset.successful())
        shadow = self._fit(self.surrogate, ok.restrict([self.target.name]), errors)
        fused: dict[str, FittedSurrogate | None] = {}
        cheap: dict[str, FittedSurrogate | None] = {}
        half: dict[str, FittedSurrogate | None] = {}
        for f in self.cheap:
            pair = ok.restrict([f.name, self.target.name])
            enough = len(pair.successful(f.name)) >= 2 and len(pair.successful(self.target.name)) >= 2
            fused[f.name] = self._fit(self.multi_surrogate, pair, errors) if enough else None
            points = ok.successful(f.name)
            own = len(points) >= 3 and self.undersampled_q2 > 0
            model = self._fit(self.cheap_surrogate, ok.restrict([f.name]), errors) if own else None
            cheap[f.name], half[f.name] = model, None
            q2 = loo_q2(model) if model is not None else None
            if q2 is not None and q2 < self.undersampled_q2 and len(points) >= max(6, self.probation_limit(f.name)):
                first = sorted(points, key=lambda o: (o.iteration, o.id or 0))[: len(points) // 2]
                half[f.name] = self._fit(self.half_surrogate, ok.restrict([f.name]).with_observations(first), errors)
        return Fits(shadow, fused, cheap, half)

    def probation_limit(self, name: str) -> int:
        """The under-sampled probation's point budget of cheap source ``name``."""
        return math.ceil(self.undersampled_growth * self.design_sizes()[name] - 1e-9)

    def _fits_on(self, dataset: Dataset, seed: int, errors: list[str]) -> Fits:
        """The models fitted on ``dataset``, memoised by its observations (the fit of a proposal
        is the one that later scores the target points it proposed)."""
        key = tuple((o.id, o.x, o.fidelity, o.value, o.status.value) for o in dataset.observations)
        if key not in self._prefix_fits:
            torch.manual_seed(seed)
            self._prefix_fits[key] = self._fit_all(dataset, errors)
        return self._prefix_fits[key]

    def _fits_before(self, dataset: Dataset, iteration: int, seed: int) -> Fits:
        """The models fitted on the observations of the iterations before ``iteration``."""
        prefix = dataset.with_observations([o for o in dataset.observations if o.iteration < iteration])
        return self._fits_on(prefix, seed, [])

    @staticmethod
    def _predict(fits: Fits, X: torch.Tensor) -> list[dict[str, Prediction]]:
        out: list[dict[str, Prediction]] = [{} for _ in range(X.shape[0])]
        models = {SHADOW: fits.shadow, **fits.fused}
        for name, m in models.items():
            if m is None:
                continue
            mean, var = m.predict(X)
            for i, (a, b) in enumerate(zip(mean.tolist(), var.tolist(), strict=True)):
                out[i][name] = Prediction(float(a), float(b))
        return out

    def _prediction_for(self, o: Observation, dataset: Dataset, seed: int) -> dict[str, Prediction]:
        """What the models predicted at ``o`` before it was evaluated (recorded at proposal time,
        else refitted on the observations of the earlier iterations, e.g. after a resume)."""
        span = (dataset.bounds[1] - dataset.bounds[0]).tolist()
        for x, preds in self._predictions.get(o.iteration, []):
            if all(abs(a - b) <= 1e-9 * s for a, b, s in zip(x, o.x, span, strict=True)):
                return preds
        fits = self._fits_before(dataset, o.iteration, seed)
        preds = self._predict(fits, torch.tensor([o.x], dtype=torch.float64))[0]
        self._predictions.setdefault(o.iteration, []).append((o.x, preds))
        return preds

    # evidence -----------------------------------------------------------------------------
    def _evidence(self, dataset: Dataset, fits: Fits, seed: int) -> dict[str, SourceEvidence]:
        hf = dataset.successful(self.target.name)
        floor = variance_floor([o.value for o in hf if o.value is not None])
        later = [o for o in hf if o.iteration >= 1 and o.value is not None]
        scored = [(o, self._prediction_for(o, dataset, seed)) for o in later]
        out = {}
        for f in self.cheap:
            pair = dataset.restrict([f.name, self.target.name])
            features: dict[str, float] = {}
            if self.detector is not None:
                try:
                    decision = self.detector.assess(pair)
                except Exception as exc:
                    raise PluginError(
                        f"detector {self.config.detector.name!r} failed: {type(exc).__name__}: {exc}"
                    ) from exc
                features = dict(decision.features)
                cheap_x = {tuple(o.x) for o in pair.successful(f.name)}
                paired = [o.x for o in pair.successful(self.target.name) if tuple(o.x) in cheap_x]
                sizes = neighbourhood_sizes(
                    torch.tensor(paired, dtype=torch.float64).reshape(-1, dataset.dim), dataset.bounds
                )
                prior, note = prior_vote(decision, sizes)
            else:
                prior, note = 0.0, "no detector: no prior"
            fused = fits.fused.get(f.name)
            loo = loo_advantage(fits.shadow, fused, floor) if fits.shadow is not None and fused is not None else None
            gains, sse_sf, sse_mf = [], 0.0, 0.0
            for o, preds in scored:
                sf, mf = preds.get(SHADOW), preds.get(f.name)
                if sf is None or mf is None or o.value is None:
                    continue
                gains.append(advantage(o.value, sf, mf, floor))
                sse_sf += (o.value - sf.mean) ** 2
                sse_mf += (o.value - mf.mean) ** 2
            if fused is None:
                note += "; the fused model could not be fitted"
            own, half = fits.cheap.get(f.name), fits.half.get(f.name)
            out[f.name] = SourceEvidence(
                f.name,
                prior if fused is not None else min(prior, 0.0) - 1.0,
                note,
                None if loo is None else loo[0],
                0 if loo is None else loo[1],
                None if loo is None else loo[2],
                None if loo is None else loo[3],
                tuple(gains),
                sse_sf,
                sse_mf,
                features,
                None if own is None else loo_q2(own),
                self.undersampled_q2,
                len(pair.successful(f.name)),
                self.probation_limit(f.name),
                None if half is None else loo_q2(half),
            )
        return out

    # spending -----------------------------------------------------------------------------
    def _spending(self, state: StudyState) -> tuple[float, float, int]:
        """Target cost and cheap cost committed after the design, and how many of the latest
        iterations evaluated only cheap points."""
        items = [(o.iteration, o.fidelity) for o in state.observations] + [
            (c.iteration, c.fidelity) for c in state.pending
        ]
        items = [(it, name) for it, name in items if it >= 1]
        cost = {f.name: f.cost for f in state.fidelities}
        hf = sum(cost[n] for _, n in items if n == self.target.name)
        cheap = sum(cost[n] for _, n in items if n != self.target.name)
        by_iteration: dict[int, set[str]] = {}
        for it, name in items:
            by_iteration.setdefault(it, set()).add(name)
        run = 0
        for it in sorted(by_iteration, reverse=True):
            if self.target.name in by_iteration[it]:
                break
            run += 1
        return hf, cheap, run

    # proposing ----------------------------------------------------------------------------
    def propose(self, state: StudyState) -> Proposal:
        dataset = state.dataset()
        info: dict[str, Any] = {"seed": state.seed}
        hf_points = dataset.successful(self.target.name)
        if len(hf_points) < 2 or state.remaining_budget < self.target.cost - 1e-9:
            if state.remaining_budget < self.target.cost - 1e-9:
                info["rule"] = "budget end: a target evaluation is no longer affordable, nothing more is proposed"
                return Proposal([], (), self.config.surrogate.name, (self.target.name,), info)
            info["rule"] = "fewer than 2 successful target points: a space-filling target point"
            x = lhs(1, state.bounds, seed=state.seed)[0]
            return Proposal(
                [Candidate(tuple(float(v) for v in x), self.target.name, None, state.iteration)],
                (),
                self.config.surrogate.name,
                (self.target.name,),
                info,
            )
        torch.manual_seed(state.seed)
        errors: list[str] = []
        start = time.perf_counter()
        fits = self._fits_on(dataset, state.seed, errors)
        evidence = self._evidence(dataset, fits, state.seed)
        info["fit_seconds"] = time.perf_counter() - start
        if errors:
            info["fit_errors"] = errors
        open_sources = [n for n, e in evidence.items() if e.open]
        hf_cost, cheap_cost, run = self._spending(state)
        spent = hf_cost + cheap_cost
        share = hf_cost / spent if spent > 0 else 1.0
        weak = any(not evidence[n].strong for n in open_sources)
        floor = self.hf_share_weak if weak else self.hf_share_strong
        proven = any(evidence[n].strong and evidence[n].score > 0 for n in open_sources)
        cap_share = self.cheap_cap_strong if proven else self.cheap_cap_weak
        # the budget after the design: what has been committed since, plus what is left
        cap = cap_share * (spent + state.remaining_budget)
        best_source = max(evidence, key=lambda n: evidence[n].score) if evidence else None
        better_name = best_source if best_source is not None and evidence[best_source].score > 0 else SHADOW
        better = fits.shadow if better_name == SHADOW else fits.fused.get(better_name)
        # target points come from the fused model only once it has been scored on steer_after new
        # target points; before that from the shadow (the HF-only loop's proposal): LOO and the prior
        # alone are optimistic for fusion, and an unproven model must not steer the target evaluations
        proven_fused = better_name != SHADOW and evidence[better_name].preq_points >= self.steer_after
        steer_name = better_name if proven_fused else SHADOW
        info.update(
            {
                "evidence": {n: {**e.numbers(), "reason": e.sentence()} for n, e in evidence.items()},
                "hf_share": share,
                "hf_share_floor": floor,
                "cheap_cap_share": cap_share,
                "cheap_cost": cheap_cost,
                "cheap_cap": cap,
                "cheap_run": run,
                "better_model": better_name,
                "steering_model": steer_name,
            }
        )
        candidates, rule, model_label = self._choose(
            state, dataset, fits, evidence, open_sources, floor, cap, run, better, better_name, steer_name, info
        )
        info["rule"] = rule
        names = [f.name for f in self.fidelities if f.name in open_sources or f == self.target]
        hf_new = [c for c in candidates if c.fidelity == self.target.name]
        if hf_new:
            X = torch.tensor([c.x for c in hf_new], dtype=torch.float64)
            preds = self._predict(fits, X)
            self._predictions[state.iteration] = [(c.x, p) for c, p in zip(hf_new, preds, strict=True)]
            info["predictions"] = [
                {"x": list(c.x), **{k: [v.mean, v.var] for k, v in p.items()}}
                for c, p in zip(hf_new, preds, strict=True)
            ]
        spend = (
            f"target share of the cost spent since the design {share:.2f} (floor {floor:.2f}), "
            f"cheap cost since the design {cheap_cost:.3g} (cap {cap:.3g}: {cap_share:.2f} of the budget after "
            f"the design), {run} cheap-only iterations in a row"
        )
        decisions = [
            Decision(
                e.open,
                {
                    **e.features,
                    **e.numbers(),
                    "hf_share": share,
                    "hf_share_floor": floor,
                    "cheap_cost": cheap_cost,
                    "cheap_cap": cap,
                    "cheap_run": float(run),
                },
                f"robust: {rule}",
                f"{e.sentence()} {spend}. Rule applied: {rule}.",
                n,
                self.target.name,
                "robust",
            )
            for n, e in evidence.items()
        ]
        return Proposal(candidates, decisions, model_label, tuple(names), info)

    def _choose(
        self,
        state: StudyState,
        dataset: Dataset,
        fits: Fits,
        evidence: dict[str, SourceEvidence],
        open_sources: list[str],
        floor: float,
        cap: float,
        run: int,
        better: FittedSurrogate | None,
        better_name: str,
        steer_name: str,
        info: dict[str, Any],
    ) -> tuple[list[Candidate], str, str]:
        """The candidates, the rule that chose them and the model's label."""
        target = self.target
        sf_label = self.config.surrogate.name
        mf_label = self.config.multi_surrogate.name if self.config.multi_surrogate is not None else sf_label
        last_target = state.remaining_budget < 2 * target.cost - 1e-9 or state.evaluations_left < 2
        if self.confirm and last_target and better is not None:
            x = self._mean_minimiser(better, state)
            if x is not None and not self._taken(x, state):
                info["recommendation"] = {"model": better_name, "x": list(x)}
                rule = (
                    f"confirmation: the last affordable target evaluation at the {better_name} model's mean minimiser"
                )
                return (
                    [Candidate(x, target.name, None, state.iteration)],
                    rule,
                    mf_label if better_name != SHADOW else sf_label,
                )
        if not open_sources:
            if fits.shadow is None:
                point = lhs(1, state.bounds, seed=state.seed)[0]
                return (
                    [Candidate(tuple(float(v) for v in point), target.name, None, state.iteration)],
                    "no model could be fitted: a space-filling target point",
                    sf_label,
                )
            cands = self._shadow_target_point(fits.shadow, dataset, state)
            return cands, "every source closed: the high-fidelity-only loop", sf_label
        spent_hf, spent_cheap, _ = self._spending(state)
        for name in open_sources:
            f = state.fidelity(name)
            have = len(dataset.successful(name)) + sum(1 for c in state.pending if c.fidelity == name)
            want = self.design_sizes()[name]
            room = int((cap - spent_cheap) / f.cost + 1e-9) if math.isfinite(cap) else want - have
            m = min(want - have, room)
            if m > 0 and run == 0:
                X = self._extension(dataset, name, m, state)
                rule = f"gate opened for {name!r}: its cheap design extended to {have + m} points"
                if m < want - have:
                    rule += f" (of {want}: the cap on cheap spending, {cap:.3g} cost units, allows no more)"
                return [Candidate(x, f.name, None, state.iteration) for x in X], rule, mf_label
        if len(open_sources) == 1:
            fused = fits.fused[open_sources[0]]
        else:
            errors: list[str] = []
            torch.manual_seed(state.seed)
            ok = dataset.with_observations(dataset.successful())
            fused = self._fit(self.multi_surrogate, ok.restrict([*open_sources, target.name]), errors)
        assert fused is not None
        names = [f.name for f in self.fidelities if f.name in open_sources or f == target]
        allowed = tuple(f for f in self.fidelities if f.name in names)
        assert self.multi_surrogate is not None
        model, data = self._believe(
            self.multi_surrogate, fused, dataset.with_observations(dataset.successful()).restrict(names), state
        )
        cands = self._run_acquisition(self.acquisition, model, data, state, allowed)
        cheap = [c for c in cands if c.fidelity != target.name]
        if not cheap:
            spent = (spent_hf, spent_cheap)
            learn = self._learn_cheap(fits, evidence, open_sources, state, spent, floor, cap, run)
            if learn is not None:
                return learn[0], learn[1], mf_label
            if steer_name == SHADOW and fits.shadow is not None:
                cands = self._shadow_target_point(fits.shadow, dataset, state)
                rule = "gate open, the acquisition chose the target: the target point comes from the shadow model"
                return cands, rule + f" ({self._why_shadow(better_name)})", sf_label
            exploit = self._exploit(model, steer_name, evidence, dataset, state)
            if exploit is not None:
                rule = f"gate open, the acquisition chose the target: {self._exploit_rule(steer_name)}"
                return exploit, rule, mf_label
            return cands, "gate open: the acquisition chose the target", mf_label
        cheap_cost = sum(state.fidelity(c.fidelity).cost for c in cheap)
        new_share, within_cap = self._after_cheap(spent_hf, spent_cheap, cheap_cost, cap)
        unpaid = self._unpaid(cheap, evidence)
        if run < self.max_cheap_run and new_share >= floor and within_cap and unpaid is None:
            return cands, "gate open: the acquisition chose a cheap source", mf_label
        if run >= self.max_cheap_run:
            why = f"{run} cheap-only iterations in a row (limit {self.max_cheap_run})"
        elif not within_cap:
            total = spent_cheap + cheap_cost
            why = f"a cheap point would bring the cheap cost since the design to {total:.3g} > cap {cap:.3g}"
        elif unpaid is not None:
            why = unpaid
        else:
            why = f"a cheap point would bring the target share to {new_share:.2f} < floor {floor:.2f}"
        # the target point comes from the target acquisition on the better model: it refines the
        # incumbent's basin where a mean minimiser would hop between near-equal minima
        if steer_name == SHADOW and fits.shadow is not None:
            cands = self._shadow_target_point(fits.shadow, dataset, state)
            rule = f"spending control ({why}): the target acquisition on the shadow model"
            return cands, f"{rule} ({self._why_shadow(better_name)})", sf_label
        exploit = self._exploit(model, steer_name, evidence, dataset, state)
        if exploit is not None:
            return exploit, f"spending control ({why}): {self._exploit_rule(steer_name)}", mf_label
        cands = self._run_acquisition(self.hf_acquisition, model, data, state, (target,))
        return cands, f"spending control ({why}): the target acquisition on the fused model", mf_label

    def _learn_cheap(
        self,
        fits: Fits,
        evidence: dict[str, SourceEvidence],
        open_sources: list[str],
        state: StudyState,
        spent: tuple[float, float],
        floor: float,
        cap: float,
        run: int,
    ) -> tuple[list[Candidate], str] | None:
        """When the acquisition wants the target while an open source is under-sampled: one cheap
        point of that source where its own model is most uncertain (the fused model predicts the
        target badly where the cheap model is wrong, and the acquisition, trusting the fused
        variance, would never ask for the cheap data that could show it). Only within the spending
        rules (``max_cheap_run``, the target-share floor, the cap; ``spent``: the target and cheap
        cost since the design, :meth:`_spending`); else None."""
        for name in open_sources:
            e, own = evidence[name], fits.cheap.get(name)
            if not e.undersampled or own is None or run >= self.max_cheap_run:
                continue
            share, within_cap = self._after_cheap(*spent, state.fidelity(name).cost, cap)
            if not within_cap or share < floor:
                continue
            pool = lhs(256 * state.dim, state.bounds, seed=state.seed)
            _, var = own.predict(pool)
            order = torch.argsort(var.reshape(-1).cpu(), descending=True).tolist()
            for i in order[:8]:
                x = tuple(float(v) for v in pool[i])
                if not self._taken_at(x, name, state):
                    rule = (
                        f"{name!r} is under-sampled (its own model's LOO Q² {e.cheap_q2:.2f} < "
                        f"{self.undersampled_q2:g}) and the acquisition chose the target: a cheap point where that "
                        "model is most uncertain"
                    )
                    return [Candidate(x, name, None, state.iteration)], rule
        return None

    @staticmethod
    def _after_cheap(spent_hf: float, spent_cheap: float, cheap_cost: float, cap: float) -> tuple[float, bool]:
        """The target's share of the cost since the design once ``cheap_cost`` more goes to cheap
        points (1 while nothing is spent), and whether the cheap cost then stays within ``cap``."""
        total = spent_hf + spent_cheap + cheap_cost
        return (spent_hf / total if total > 0 else 1.0), spent_cheap + cheap_cost <= cap + 1e-9

    def _unpaid(self, cheap: list[Candidate], evidence: dict[str, SourceEvidence]) -> str | None:
        """Why a cheap evaluation is not worth its cost: a source judged on enough new target points
        (at least ``PROBATION_POINTS``) whose score is below ``spend_score`` may still steer the target
        evaluations (the fused model predicts the target better) but does not get cheap evaluations,
        which take target evaluations away from the run; None when every candidate's source may spend.
        An under-sampled source (:attr:`~mfopt_strategies.evidence.SourceEvidence.undersampled`) is
        exempt: its score judges cheap data it does not have yet, and the cap bounds what it costs."""
        for c in cheap:
            e = evidence.get(c.fidelity)
            if e is None or e.undersampled:
                continue
            if e.preq_points >= PROBATION_POINTS and e.score < self.spend_score:
                return (
                    f"the evidence for {c.fidelity!r} (score {e.score:+.2f} over {e.preq_points} new target points) "
                    f"is below the {self.spend_score:g} nats a cheap evaluation needs"
                )
        return None

    def _exploit(
        self,
        model: FittedSurrogate,
        steer_name: str,
        evidence: dict[str, SourceEvidence],
        dataset: Dataset,
        state: StudyState,
    ) -> list[Candidate] | None:
        """Every ``exploit_every``-th target point after the design, while a proven fused model
        (strong positive evidence) steers: its target posterior-mean minimiser, when not evaluated
        yet and predicted below the best target value (else None: the acquisition's point)."""
        e = evidence.get(steer_name)
        if not self.exploit_every or e is None or not (e.strong and e.score > 0):
            return None
        done = sum(1 for o in state.observations if o.fidelity == self.target.name and o.iteration >= 1)
        done += sum(1 for c in state.pending if c.fidelity == self.target.name and c.iteration >= 1)
        if done % self.exploit_every != self.exploit_every - 1:
            return None
        x = self._mean_minimiser(model, state)
        if x is None or self._taken(x, state):
            return None
        level = self.target.name if model.fidelity_column else None
        mean, _ = model.predict(torch.tensor([x], dtype=torch.float64), level)
        incumbent = dataset.best(self.target.name)
        best = incumbent.value if incumbent is not None and incumbent.value is not None else math.inf
        if not float(mean[0]) < best:
            return None
        return [Candidate(x, self.target.name, None, state.iteration)]

    def _exploit_rule(self, steer_name: str) -> str:
        return (
            f"the {steer_name!r} model's posterior-mean minimiser (its evidence is strong and positive; "
            f"every {self.exploit_every}. target point after the design exploits it)"
        )

    def _why_shadow(self, better_name: str) -> str:
        """Why the shadow places a target point although a source is open."""
        if better_name == SHADOW:
            return "it has predicted the target better so far"
        return (
            f"the {better_name!r} model scores better but has been scored on fewer than {self.steer_after} "
            "new target points"
        )

    def _shadow_target_point(self, shadow: FittedSurrogate, dataset: Dataset, state: StudyState) -> list[Candidate]:
        """The high-fidelity-only loop's proposal: ``hf_acquisition`` at the target on the shadow
        model (pending target points believed at its mean)."""
        model, data = self._believe(self.surrogate, shadow, dataset.restrict([self.target.name]), state)
        return self._run_acquisition(self.hf_acquisition, model, data, state, (self.target,))

    def _run_acquisition(
        self,
        acquisition: Acquisition,
        model: FittedSurrogate,
        data: Dataset,
        state: StudyState,
        allowed: Sequence[Fidelity],
    ) -> list[Candidate]:
        q = self.config.acquisition.q
        context = ProposalContext(state.bounds, tuple(allowed), q, state.remaining_budget, state.seed, state.iteration)
        try:
            proposed = acquisition.propose(model, data, context)
        except MfoptError:
            raise
        except Exception as exc:
            raise PluginError(f"acquisition failed: {type(exc).__name__}: {exc}") from exc
        names = {f.name for f in allowed}
        lb, ub = state.bounds
        out = []
        for c in proposed[:q]:
            if c.fidelity not in names:
                raise PluginError(f"acquisition proposed fidelity {c.fidelity!r}, allowed now: {sorted(names)}")
            x = torch.minimum(torch.maximum(torch.as_tensor(c.x, dtype=torch.float64), lb), ub)
            out.append(Candidate(tuple(float(v) for v in x), c.fidelity, None, state.iteration))
        return out

    def _believe(
        self, surrogate: Surrogate, fitted: FittedSurrogate, data: Dataset, state: StudyState
    ) -> tuple[FittedSurrogate, Dataset]:
        """Kriging believer: pending points at the model's fidelities enter at the posterior mean."""
        pending = [c for c in state.pending if c.fidelity in fitted.levels]
        if not pending:
            return fitted, data
        believed = []
        for c in pending:
            X = torch.tensor([c.x], dtype=torch.float64)
            mean, _ = fitted.predict(X, c.fidelity if fitted.fidelity_column else None)
            believed.append(
                Observation(
                    c.x, c.fidelity, float(mean[0]), Status.OK, state.fidelity(c.fidelity).cost, iteration=c.iteration
                )
            )
        augmented = data.with_observations([*data.observations, *believed])
        try:
            return surrogate.refit(augmented), augmented
        except Exception:
            return fitted, data

    def _mean_minimiser(self, model: FittedSurrogate, state: StudyState) -> tuple[float, ...] | None:
        """The minimiser of the model's target posterior mean over the box."""
        acq: Any = PosteriorMean(model.model, maximize=False)
        d = state.dim
        bounds = state.bounds
        if model.fidelity_column:
            acq = FixedFeatureAcquisitionFunction(acq, d + 1, [d], [model.target_level])
        try:
            with torch.no_grad():  # the search runs where the model lives (a CUDA model: on the GPU)
                bounds = bounds.to(acq(bounds[:1].unsqueeze(0)).device)
            torch.manual_seed(state.seed)
            best, _ = optimize_acqf(acq, bounds=bounds, q=1, num_restarts=4, raw_samples=256)
        except Exception:
            return None
        best = torch.minimum(torch.maximum(best.reshape(-1), bounds[0]), bounds[1])
        return tuple(float(v) for v in best)

    @staticmethod
    def _taken(x: tuple[float, ...], state: StudyState) -> bool:
        """Whether ``x`` is (within 1e-6 of the box) a target point evaluated or pending."""
        return RobustStrategy._taken_at(x, state.target.name, state)

    @staticmethod
    def _taken_at(x: tuple[float, ...], fidelity: str, state: StudyState) -> bool:
        """Whether ``x`` is (within 1e-6 of the box) a point of ``fidelity`` evaluated or pending."""
        span = (state.bounds[1] - state.bounds[0]).tolist()
        points = [o.x for o in state.observations if o.fidelity == fidelity]
        points += [c.x for c in state.pending if c.fidelity == fidelity]
        return any(all(abs(a - b) <= 1e-6 * s for a, b, s in zip(x, p, span, strict=True)) for p in points)

    def _extension(self, dataset: Dataset, name: str, m: int, state: StudyState) -> list[tuple[float, ...]]:
        """``m`` space-filling points for source ``name``, each chosen greedily as far as possible
        from the points that source already holds (evaluated or pending)."""
        lb, ub = state.bounds
        span = ub - lb
        have = [o.x for o in dataset.observations if o.fidelity == name] + [
            c.x for c in state.pending if c.fidelity == name
        ]
        pool = (lhs(64 * m * state.dim, state.bounds, seed=state.seed) - lb) / span
        chosen = (torch.tensor(have, dtype=torch.float64).reshape(-1, state.dim) - lb) / span
        out = []
        for _ in range(m):
            dist = torch.cdist(pool, chosen).min(-1).values if chosen.shape[0] else torch.ones(pool.shape[0])
            i = int(dist.argmax())
            out.append(pool[i])
            chosen = torch.cat([chosen, pool[i : i + 1]])
        return [tuple(float(v) for v in (lb + u * span)) for u in out]
