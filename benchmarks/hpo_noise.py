"""What the gate's features and detectors do with noisy values (issue 14: noisy HPO objectives).

    OMP_NUM_THREADS=1 python benchmarks/hpo_noise.py --seeds 20

A validation loss is a noisy observation of the configuration's true quality: another training
seed, another split gives another value. The low-fidelity-harm features (local correlations,
adjusted R², docs/detectors.md) are computed from the observed values, so noise on either source
lowers the measured correlation between them, and the rule-based detector reads a noisy but
useful cheap source as a weakly correlated one. This script measures how much: on a bi-fidelity
pair from the literature (``SongToalBranin<c>``, d = 2; ``c`` sets how well the sources agree) with
the default nested design of the HPO API (2 d + 2 cheap, d + 1 target points, and a larger
sample), it adds independent Gaussian noise of standard deviation ``level x sd(f_h on the
sample)`` to both sources and prints, over ``--seeds`` designs, the median of the features the
``guideline`` rules read and how often each rule fired (which source the gate kept).
"""

from __future__ import annotations

import argparse
import warnings
from collections import Counter
from dataclasses import replace

import numpy as np

from mfopt import Dataset, get_plugin_manager
from mfopt.testing import make_dataset

FEATURES = ("LCC_root_0.4", "LCC_root_0.95", "R2_L", "CC")


def noisy_copy(data: Dataset, level: float, rng: np.random.Generator) -> Dataset:
    """``data`` with N(0, (level x sd of its target values)²) added to every value, both sources."""
    high = np.array([o.value for o in data.successful(data.target.name)], dtype=float)
    sd = level * float(high.std())
    observations = [
        replace(o, value=o.value + sd * float(rng.standard_normal())) if o.value is not None else o
        for o in data.observations
    ]
    return Dataset(data.bounds, data.fidelities, observations)


def assess(problem_name: str, sizes: list[int], levels: list[float], seeds: int) -> list[str]:
    """One printed line per noise level: median features and the rules that fired."""
    from mfopt_detectors.features import compute_features

    manager = get_plugin_manager()
    problem = manager.problems.create(problem_name)
    detector = manager.detectors.create("guideline")
    lines = []
    for level in levels:
        feats: dict[str, list[float]] = {f: [] for f in FEATURES}
        rules: Counter[str] = Counter()
        for seed in range(seeds):
            data = noisy_copy(make_dataset(problem, sizes, seed=seed), level, np.random.default_rng(seed))
            values = compute_features(data)
            for f in FEATURES:
                feats[f].append(values[f])
            decision = detector.assess(data)
            rules[f"{decision.rule}:{'use' if decision.use_low else 'ignore'}"] += 1
        with warnings.catch_warnings():  # R2_L is NaN on every small sample (n - p - 1 <= 0)
            warnings.simplefilter("ignore", RuntimeWarning)
            medians = " ".join(f"{f}={np.nanmedian(v):.2f}" for f, v in feats.items())
        fired = ", ".join(f"{r} x{n}" for r, n in sorted(rules.items()))
        lines.append(f"  noise {level:<4g} {medians}  rules: {fired}")
    return lines


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--levels", default="0,0.05,0.1,0.2,0.5")
    parser.add_argument("--problems", default="SongToalBranin0.80,SongToalBranin0.20")
    args = parser.parse_args(argv)
    levels = [float(v) for v in args.levels.split(",")]
    out = []
    for name in args.problems.split(","):
        for sizes in ([6, 3], [24, 12]):
            out.append(f"{name}, {sizes[0]} cheap / {sizes[1]} target points, {args.seeds} designs:")
            out += assess(name, sizes, levels, args.seeds)
    text = "\n".join(out)
    print(text)
    return text


if __name__ == "__main__":
    main()
