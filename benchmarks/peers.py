"""BoTorch's own optimisation loops, run through BoTorch's API on mfopt's problems, for the benchmark.

Two peers, each on a registered mfopt problem (minimised), from the same initial design as mfopt's
strategies (:func:`mfopt.nested_design` with the same sizes and seed) and within the same budget
(the design's cost counts; no evaluation is started that the remaining budget cannot pay for):

- :func:`botorch_logei`: ``SingleTaskGP`` (inputs normalised to the unit cube, outcomes
  standardised, BoTorch's default priors and likelihood) fitted by ``fit_gpytorch_mll``, then
  ``qLogExpectedImprovement`` with ``q = 1`` optimised by ``optimize_acqf`` (BoTorch tutorial
  settings: 10 restarts, 512 raw samples), target fidelity only. The answer is the best HF value
  evaluated.
- :func:`botorch_mfkg`: the discrete multi-fidelity loop of BoTorch's tutorial
  ("discrete_multi_fidelity_bo"): ``SingleTaskMultiFidelityGP`` with the fidelity level as the
  last input (``data_fidelities``), ``qMultiFidelityKnowledgeGradient`` with
  ``InverseCostWeightedUtility`` over a deterministic cost model (level -> the problem's cost) and
  ``project_to_target_fidelity``, its ``current_value`` the maximum of the posterior mean at the
  target, optimised by ``optimize_acqf_mixed`` over the affordable levels. Final recommendation as in
  the tutorial: the maximiser of the posterior mean at the target fidelity; its true HF value is
  reported (``recommended``) beside the best HF value evaluated (``best``). The recommendation is
  not evaluated inside the budget (the tutorial reports it without charging it).

BoTorch maximises, so both fit ``-y``. Each returns a row like ``benchmarks/optimisation.py``'s:
``best`` (lowest HF value evaluated), ``trace`` (``(cost spent, best HF so far)`` after every HF
evaluation), ``budget``, ``spent`` per fidelity, ``seconds``.

    python benchmarks/peers.py AugmentedHartmannH6 --seeds 3 --n-high 16 --budget 10
    python benchmarks/peers.py AugmentedHartmannH6 --hf-only-gap --seeds 3 --n-high 16 --budget 10

``--hf-only-gap`` runs mfopt's HF-only study (Kriging + LogEI, and the ``botorch-gp`` surrogate +
LogEI through the same config path; ``--surrogate NAME[:KEY=VALUE,...]`` picks other columns),
mfopt's LogEI on BoTorch's SingleTaskGP built here (the model swapped, the acquisition kept) and
BoTorch's SingleTaskGP + qLogEI from the same design, to tell whether a gap between mfopt and
BoTorch comes from the model or the acquisition; ``--out FILE`` keeps finished rows (resumable):

    python benchmarks/peers.py AugmentedHartmannH6 --hf-only-gap --seeds 10 --n-high 16 --budget 10 \\
        --surrogate kriging --surrogate botorch-gp --surrogate botorch-gp:noise=none --out gap.jsonl
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from typing import Any

import torch
from botorch.acquisition import PosteriorMean, qLogExpectedImprovement
from botorch.acquisition.cost_aware import InverseCostWeightedUtility
from botorch.acquisition.fixed_feature import FixedFeatureAcquisitionFunction
from botorch.acquisition.knowledge_gradient import qMultiFidelityKnowledgeGradient
from botorch.acquisition.utils import project_to_target_fidelity
from botorch.fit import fit_gpytorch_mll
from botorch.models import SingleTaskGP, SingleTaskMultiFidelityGP
from botorch.models.transforms import Normalize, Standardize
from botorch.optim import optimize_acqf, optimize_acqf_mixed
from gpytorch.mlls import ExactMarginalLogLikelihood
from mfopt_acquisitions.common import cost_model
from torch import Tensor

from mfopt import Problem, get_plugin_manager, nested_design

EPS = 1e-9


#: BoTorch's Augmented Hartmann 6 at three fidelities s = 0.5, 0.75, 1 (the multi-fidelity tutorials'
#: setting), each costing 5 + s, here in units of the target's cost 6 (so an HF evaluation costs 1).
THREE_FIDELITY_HARTMANN = "AugmentedHartmannH6-3fid"


def augmented_hartmann(X: Tensor, s: float) -> Tensor:
    """BoTorch's ``AugmentedHartmann`` at fidelity ``s`` (H6 with ``alpha_1 = 1 - 0.1 (1 - s)``), in float64."""
    from mfopt_problems.literature_hartmann import ALPHA, hartmann

    return hartmann(X, alpha=(1 - 0.1 * (1 - s), *ALPHA[1:]))


def three_fidelity_hartmann() -> Problem:
    """:data:`THREE_FIDELITY_HARTMANN`: fidelities ``s0.5``, ``s0.75`` and ``high`` (s = 1)."""
    from functools import partial

    from mfopt_problems.literature_hartmann import H6_OPTIMUM

    from mfopt import Fidelity, FunctionProblem

    levels = {"s0.5": 0.5, "s0.75": 0.75, "high": 1.0}
    return FunctionProblem(
        THREE_FIDELITY_HARTMANN,
        [[0.0] * 6, [1.0] * 6],
        {name: partial(augmented_hartmann, s=s) for name, s in levels.items()},
        [Fidelity(name, s, (5 + s) / 6) for name, s in levels.items()],
        optimum=H6_OPTIMUM,
    )


def make_problem(name: str, costs: dict[str, float] | None = None) -> Problem:
    """The problem ``name`` (registered, or :data:`THREE_FIDELITY_HARTMANN`) with its fidelity costs
    overridden by ``costs`` (names it does not have are ignored)."""
    if name == THREE_FIDELITY_HARTMANN:
        problem = three_fidelity_hartmann()
    else:
        problem = get_plugin_manager().problems.create(name, "benchmark")
    names = {f.name for f in problem.fidelities}
    known = {k: v for k, v in (costs or {}).items() if k in names}
    return problem.with_costs(known) if known else problem


class Ledger:
    """Evaluations of a run: the training data (``x``, level, ``y``), the spending and the trace."""

    def __init__(self, problem: Problem, budget: float) -> None:
        self.problem, self.budget = problem, budget
        self.X: list[Tensor] = []
        self.levels: list[float] = []
        self.y: list[float] = []
        self.spent = {f.name: 0.0 for f in problem.fidelities}
        self.trace: list[tuple[float, float]] = []
        self.best = math.inf

    @property
    def total(self) -> float:
        return sum(self.spent.values())

    def affordable(self, name: str) -> bool:
        return self.total + self.problem.fidelity(name).cost <= self.budget + EPS

    def evaluate(self, X: Tensor, name: str) -> None:
        """Evaluate the rows of ``X`` at fidelity ``name``, one by one, charging each."""
        fidelity = self.problem.fidelity(name)
        for x in X.reshape(-1, self.problem.dim):
            if not self.affordable(name):
                raise RuntimeError(f"evaluation at {name!r} would overspend the budget {self.budget:g}")
            value = float(self.problem.evaluate(x.unsqueeze(0), name)[0])
            self.spent[name] += fidelity.cost
            self.X.append(x.detach().clone())
            self.levels.append(fidelity.level)
            self.y.append(value)
            if name == self.problem.target.name and math.isfinite(value):
                self.best = min(self.best, value)
                self.trace.append((self.total, self.best))

    def training(self, with_level: bool) -> tuple[Tensor, Tensor]:
        """``(X, -y)`` for BoTorch (maximisation), the level as the last column when ``with_level``."""
        X = torch.stack(self.X)
        if with_level:
            X = torch.cat([X, torch.tensor(self.levels, dtype=X.dtype).unsqueeze(-1)], dim=-1)
        y = torch.tensor(self.y, dtype=X.dtype)
        ok = torch.isfinite(y)
        return X[ok], -y[ok].unsqueeze(-1)

    def row(self, peer: str, seed: int, start: float, **extra: Any) -> dict[str, Any]:
        return {
            "strategy": peer,
            "seed": seed,
            "best": self.best,
            "trace": self.trace,
            "budget": self.budget,
            "spent": dict(self.spent),
            "evaluations": len(self.y),
            "seconds": time.perf_counter() - start,
            **extra,
        }


def _fit(model: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))


def botorch_logei(
    problem: Problem,
    n_high: int,
    budget: float,
    seed: int,
    num_restarts: int = 10,
    raw_samples: int = 512,
    max_iterations: int | None = None,
) -> dict[str, Any]:
    """SingleTaskGP + qLogEI at the target fidelity from ``nested_design(bounds, [n_high], seed)``."""
    start = time.perf_counter()
    torch.manual_seed(seed)
    ledger = Ledger(problem, budget)
    target = problem.target.name
    iteration = 0
    (design,) = nested_design(problem.bounds, [n_high], seed=seed)
    ledger.evaluate(design, target)
    bounds = problem.bounds
    while ledger.affordable(target) and iteration != max_iterations:
        X, Y = ledger.training(with_level=False)
        model = SingleTaskGP(
            X, Y, input_transform=Normalize(problem.dim, bounds=bounds), outcome_transform=Standardize(1)
        )
        _fit(model)
        acq = qLogExpectedImprovement(model, best_f=Y.max())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x, _ = optimize_acqf(
                acq, bounds=bounds, q=1, num_restarts=num_restarts, raw_samples=raw_samples,
                options={"seed": seed * 1000 + iteration},
            )  # fmt: skip
        ledger.evaluate(x.detach(), target)
        iteration += 1
    return ledger.row("botorch-logei", seed, start)


def botorch_mfkg(
    problem: Problem,
    sizes: list[int],
    budget: float,
    seed: int,
    num_fantasies: int = 128,
    num_restarts: int = 5,
    raw_samples: int = 128,
    maxiter: int = 200,
    max_iterations: int | None = None,
    mean_restarts: int = 10,
    mean_raw_samples: int = 1024,
) -> dict[str, Any]:
    """The discrete MF-KG loop of BoTorch's tutorial from ``nested_design(bounds, sizes, seed)``
    (``sizes`` per fidelity, cheapest first); ``max_iterations`` caps the proposals (tests);
    ``mean_restarts`` / ``mean_raw_samples`` size the search for the posterior-mean maximiser (KG's
    current value and the recommendation; the tutorial's 10 / 1024 by default)."""
    start = time.perf_counter()
    torch.manual_seed(seed)
    ledger = Ledger(problem, budget)
    fidelities = problem.fidelities[-len(sizes) :]
    for f, X in zip(fidelities, nested_design(problem.bounds, sizes, seed=seed), strict=True):
        ledger.evaluate(X, f.name)
    d = problem.dim
    target = problem.target
    bounds = torch.cat([problem.bounds, torch.tensor([[min(ledger.levels)], [target.level]])], dim=-1)
    cost_aware = InverseCostWeightedUtility(cost_model(problem.fidelities))

    def project(X: Tensor) -> Tensor:
        return project_to_target_fidelity(X=X, target_fidelities={d: target.level}, d=d + 1)

    def fitted() -> SingleTaskMultiFidelityGP:
        X, Y = ledger.training(with_level=True)
        model = SingleTaskMultiFidelityGP(
            X, Y, data_fidelities=[d], input_transform=Normalize(d + 1, bounds=bounds),
            outcome_transform=Standardize(1),
        )  # fmt: skip
        _fit(model)
        return model

    def posterior_max(model: SingleTaskMultiFidelityGP) -> tuple[Tensor, Tensor]:
        mean = FixedFeatureAcquisitionFunction(PosteriorMean(model), d=d + 1, columns=[d], values=[target.level])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x, value = optimize_acqf(
                mean, bounds=problem.bounds, q=1, num_restarts=mean_restarts, raw_samples=mean_raw_samples,
                options={"batch_limit": 10, "maxiter": maxiter},
            )  # fmt: skip
        assert value is not None
        return x.detach(), value.detach()

    iteration = 0
    while iteration != max_iterations:
        options = [f for f in fidelities if ledger.affordable(f.name)]
        if not options:
            break
        model = fitted()
        _, current = posterior_max(model)
        acq = qMultiFidelityKnowledgeGradient(
            model, num_fantasies=num_fantasies, current_value=current, cost_aware_utility=cost_aware, project=project
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x, _ = optimize_acqf_mixed(
                acq, bounds=bounds, q=1, num_restarts=num_restarts, raw_samples=raw_samples,
                fixed_features_list=[{d: f.level} for f in options],
                options={"batch_limit": 5, "maxiter": maxiter, "seed": seed * 1000 + iteration},
            )  # fmt: skip
        x = x.detach().reshape(-1)
        chosen = min(options, key=lambda f: abs(f.level - float(x[d])))
        ledger.evaluate(x[:d].unsqueeze(0), chosen.name)
        iteration += 1
    recommendation, _ = posterior_max(fitted())
    recommended = float(problem.evaluate(recommendation, target.name)[0])
    return ledger.row("botorch-mfkg", seed, start, recommended=recommended)


def swapped_logei(problem: Problem, n_high: int, budget: float, seed: int) -> dict[str, Any]:
    """mfopt's own LogEI acquisition (plugin defaults) on BoTorch's SingleTaskGP: the HF-only loop of
    :func:`hf_only_gap` with only the model swapped, to tell model from acquisition effects."""
    from mfopt import Dataset, FittedSurrogate, Observation, ProposalContext

    start = time.perf_counter()
    ledger = Ledger(problem, budget)
    target = problem.target
    (design,) = nested_design(problem.bounds, [n_high], seed=seed)
    ledger.evaluate(design, target.name)
    acquisition = get_plugin_manager().acquisitions.create("logei", "benchmark")
    iteration = 0
    while ledger.affordable(target.name):
        X, Y = ledger.training(with_level=False)
        gp = SingleTaskGP(X, -Y, input_transform=Normalize(problem.dim, bounds=problem.bounds),
                          outcome_transform=Standardize(1))  # fmt: skip
        _fit(gp)
        observations = [
            Observation(tuple(map(float, x)), target.name, float(-v), cost=target.cost)
            for x, v in zip(X, Y, strict=True)
        ]
        data = Dataset(problem.bounds, (target,), observations)
        context = ProposalContext(
            problem.bounds, (target,), 1, budget - ledger.total, seed * 1000 + iteration, iteration + 1
        )
        fitted = FittedSurrogate(gp, target.name, {target.name: target.level}, False)
        (candidate,) = acquisition.propose(fitted, data, context)
        ledger.evaluate(torch.tensor([candidate.x], dtype=torch.float64), target.name)
        iteration += 1
    return ledger.row("stgp+mfopt-logei", seed, start)


def mfopt_hf_only(
    problem_name: str,
    n_high: int,
    budget: float,
    seed: int,
    kriging: dict[str, Any] | None = None,
    surrogate: str = "kriging",
) -> dict[str, Any]:
    """mfopt's HF-only study (``surrogate`` + LogEI, plugin defaults; ``kriging``: that surrogate's
    options) through :class:`mfopt.Study`, the config path a problem.toml takes."""
    import tempfile

    from mfopt import Study

    start = time.perf_counter()
    config = {
        "problem": {"name": problem_name},
        "budget": {"total": budget},
        "design": {"samples": {"high": n_high}, "seed": seed},
        "surrogate": {"name": surrogate, **(kriging or {})},
        "acquisition": {"name": "logei"},
        "run": {"seed": seed, "device": "cpu"},
    }
    with tempfile.TemporaryDirectory() as folder, Study(config, run_dir=folder) as study:
        result = study.run()
        values = [o.value for o in sorted(study.dataset.observations, key=lambda o: o.id or 0)]
    best = result.best.value if result.best is not None and result.best.value is not None else math.inf
    return {"strategy": f"{surrogate}+mfopt-logei", "seed": seed, "best": best, "values": values,
            "seconds": time.perf_counter() - start}  # fmt: skip


def _label(surrogate: str, options: dict[str, Any]) -> str:
    """A column name: the surrogate and its non-default options (``botorch-gp[noise=none]``)."""
    suffix = ",".join(f"{k}={v}" for k, v in options.items())
    return f"{surrogate}[{suffix}]" if suffix else surrogate


def hf_only_gap(
    problem_name: str,
    n_high: int,
    iterations: int,
    seeds: int,
    kriging: dict[str, Any] | None = None,
    surrogates: list[tuple[str, dict[str, Any]]] | None = None,
    out: str | None = None,
) -> None:
    """Print, per seed and on average, the final best HF value of mfopt's HF-only study with each
    of ``surrogates`` (name, options; default: Kriging with the options ``kriging``, and
    ``botorch-gp``) + LogEI, of mfopt's LogEI on BoTorch's SingleTaskGP built here (the model
    swapped, the acquisition kept) and of BoTorch's SingleTaskGP + qLogEI, all from the same
    design. ``out``: a JSON-lines file of finished rows (keyed by problem, sizes, column and seed);
    rows already there are read back, not re-run, so an interrupted run resumes."""
    import json
    from functools import partial
    from pathlib import Path

    problem = make_problem(problem_name)
    budget = (n_high + iterations) * problem.target.cost
    columns = surrogates if surrogates is not None else [("kriging", kriging or {}), ("botorch-gp", {})]
    done: dict[tuple[str, int], float] = {}
    key = {"problem": problem_name, "n_high": n_high, "iterations": iterations}
    if out is not None and Path(out).exists():
        for line in Path(out).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if all(row.get(k) == v for k, v in key.items()):
                done[(row["column"], row["seed"])] = row["best"]

    def run(column: str, seed: int, task: Any) -> float:
        if (column, seed) not in done:
            row = task()
            done[(column, seed)] = row["best"]
            if out is not None:
                with open(out, "a", encoding="utf-8") as handle:
                    record = {**key, "column": column, "seed": seed, "best": row["best"], "seconds": row["seconds"]}
                    handle.write(json.dumps(record) + "\n")
        return done[(column, seed)]

    finals: dict[str, list[float]] = {}
    for seed in range(seeds):
        tasks: list[tuple[str, Any]] = [
            (f"{_label(name, options)}+mfopt-logei",
             partial(mfopt_hf_only, problem_name, n_high, budget, seed, options, name))
            for name, options in columns
        ]  # fmt: skip
        tasks.append(("stgp+mfopt-logei", partial(swapped_logei, problem, n_high, budget, seed)))
        tasks.append(("botorch-logei", partial(botorch_logei, problem, n_high, budget, seed)))
        bests = [(column, run(column, seed, task)) for column, task in tasks]
        for column, best in bests:
            finals.setdefault(column, []).append(best)
        print(f"seed {seed}: " + "  ".join(f"{c} {b:.4f}" for c, b in bests), flush=True)
    print("mean:   " + "  ".join(f"{name} {sum(v) / len(v):.4f}" for name, v in finals.items()))
    print(paired_summary(finals, "botorch-logei"))


def paired_summary(finals: dict[str, list[float]], reference: str) -> str:
    """Per column against ``reference`` (same seeds): on how many seeds it is at least as good
    (lower or equal final best) and the two-sided paired Wilcoxon p-value (1.0 when all tie)."""
    from scipy.stats import wilcoxon

    base = finals[reference]
    parts = []
    for name, values in finals.items():
        if name == reference:
            continue
        wins = sum(v <= b for v, b in zip(values, base, strict=True))
        p = float(wilcoxon(values, base).pvalue) if values != base else 1.0
        parts.append(f"{name} {wins}/{len(base)} p={p:.3g}")
    return f"vs {reference} (at least as good on / Wilcoxon p): " + "  ".join(parts)


def _option(item: str) -> tuple[str, Any]:
    """``KEY=VALUE`` -> ``(KEY, VALUE)``, the value a boolean for ``true``/``false`` (as TOML writes
    them), a number when it reads as one, else the string."""
    key, sep, value = item.partition("=")
    if not sep:
        raise SystemExit(f"--kriging {item!r}: expected KEY=VALUE")
    if value in ("true", "false"):
        return key, value == "true"
    try:
        return key, float(value)
    except ValueError:
        return key, value


def _surrogate(spec: str) -> tuple[str, dict[str, Any]]:
    """``NAME`` or ``NAME:KEY=VALUE,KEY=VALUE`` -> ``(NAME, options)`` (values as :func:`_option` reads them)."""
    name, _, rest = spec.partition(":")
    return name, dict(_option(item) for item in rest.split(",") if item)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("problem")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n-high", type=int, default=16, help="initial HF points (the MF design adds 2x LF)")
    parser.add_argument("--budget", type=float, default=10.0, help="cost units after the design")
    parser.add_argument("--low-cost", type=float, default=0.1)
    parser.add_argument("--fantasies", type=int, default=128)
    parser.add_argument(
        "--hf-only-gap", action="store_true",
        help="compare mfopt Kriging + LogEI, mfopt LogEI on SingleTaskGP and BoTorch SingleTaskGP + qLogEI "
        "(--budget HF evaluations after the design) instead of running both peers",
    )  # fmt: skip
    parser.add_argument(
        "--kriging", action="append", default=[], metavar="KEY=VALUE",
        help="a Kriging option for --hf-only-gap (repeatable), e.g. theta_prior=none to run the paper's ML fit",
    )  # fmt: skip
    parser.add_argument(
        "--surrogate", action="append", default=None, metavar="NAME[:KEY=VALUE,...]",
        help="a surrogate column of --hf-only-gap (repeatable; default: kriging with the --kriging options, "
        "and botorch-gp), e.g. botorch-gp:noise=none",
    )  # fmt: skip
    parser.add_argument("--out", default=None, help="--hf-only-gap: JSON-lines file of finished rows (resumable)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.hf_only_gap:
        kriging = dict(_option(item) for item in args.kriging)
        surrogates = None if args.surrogate is None else [_surrogate(spec) for spec in args.surrogate]
        hf_only_gap(args.problem, args.n_high, int(args.budget), args.seeds, kriging, surrogates, args.out)
        return
    problem = make_problem(args.problem, {"low": args.low_cost, "high": 1.0})
    n_low = 2 * args.n_high
    for seed in range(args.seeds):
        row = botorch_logei(problem, args.n_high, args.n_high + args.budget, seed)
        print(f"seed {seed} botorch-logei best {row['best']:.5g} ({row['seconds']:.0f} s)")
        mf_budget = args.n_high + n_low * args.low_cost + args.budget
        row = botorch_mfkg(problem, [n_low, args.n_high], mf_budget, seed, num_fantasies=args.fantasies)
        print(f"seed {seed} botorch-mfkg best {row['best']:.5g} recommended {row['recommended']:.5g} "
              f"spent {row['spent']} ({row['seconds']:.0f} s)")  # fmt: skip


if __name__ == "__main__":
    main()
