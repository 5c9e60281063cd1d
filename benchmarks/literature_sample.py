"""Write a stratified random sample of the ``paper-literature`` suite as a suite file (``pair n_h n_l`` lines).

Strata: (pair family, budget-ratio bucket). The family is the pair name without its parameter
(``ToalBranin0.30`` -> ``ToalBranin``; ``WangRastrigin-d5-error2-phi5000`` -> ``WangRastrigin-d5``,
so the family fixes the dimension); buckets of ``B^r = n_h/n_l``: ``<= 0.25``, ``<= 0.5``,
``<= 0.75``, ``< 1``, ``= 1``. Instances are shuffled within each stratum (``--seed``), then
taken round-robin over the strata in a shuffled order, so every prefix of the file is itself
close to stratified: a run cut short still covers every family, dimension and budget ratio
as far as it got.

    python benchmarks/literature_sample.py --size 1500 --seed 2024 --out benchmarks/literature_sample.txt

With ``--coverage RESULTS.sqlite ...`` it writes nothing and prints how far results files (pooled)
cover the suite: finished instances (every repetition of both models stored) of the suite, per
dimension, per budget-ratio bucket, and the pair families without any.

    python benchmarks/literature_sample.py --coverage /work/results/literature_sample_v5.sqlite ...
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from mfopt.benchmark.problems import load_problem
from mfopt.benchmark.suites import LITERATURE_PAIRS, budgets
from mfopt.plugin.manager import get_plugin_manager


def family(pair: str) -> str:
    wang = re.match(r"(WangRastrigin-d\d+)-", pair)
    if wang:
        return wang.group(1)
    return re.sub(r"(\d+\.\d+|(?<=Rosenbrock)\d)$", "", pair)


def bucket(n_high: int, n_low: int) -> str:
    ratio = n_high / n_low
    for edge in (0.25, 0.5, 0.75):
        if ratio <= edge:
            return f"<={edge}"
    return "<1" if ratio < 1 else "=1"


def sample(size: int, seed: int) -> list[tuple[str, int, int]]:
    pm = get_plugin_manager()
    strata: dict[tuple[str, str], list[tuple[str, int, int]]] = defaultdict(list)
    for pair in LITERATURE_PAIRS:
        d = load_problem(pm, pair).dim
        for nh, nl in budgets(d, "paper"):
            strata[(family(pair), bucket(nh, nl))].append((pair, nh, nl))
    rng = np.random.default_rng(seed)
    keys = sorted(strata)
    order = [keys[i] for i in rng.permutation(len(keys))]
    queues = {k: [strata[k][i] for i in rng.permutation(len(strata[k]))] for k in keys}
    out: list[tuple[str, int, int]] = []
    while len(out) < size and any(queues.values()):
        for k in order:
            if queues[k] and len(out) < size:
                out.append(queues[k].pop())
    return out


def coverage(paths: list[Path], reps: int = 40) -> None:
    """Print the suite's strata covered by the finished instances of ``paths`` (pooled)."""
    from mfopt.benchmark.results import ResultsStore

    pm = get_plugin_manager()
    dims = {pair: load_problem(pm, pair).dim for pair in LITERATURE_PAIRS}
    suite = {(pair, nh, nl): dims[pair] for pair in LITERATURE_PAIRS for nh, nl in budgets(dims[pair], "paper")}
    done: set[tuple[str, int, int]] = set()
    for path in paths:
        with ResultsStore(path) as store:
            done |= {key for key, rows in store.done().items() if len(rows) >= 2 * reps and key in suite}
    pairs = len({p for p, _, _ in done})
    print(f"{len(done)} of {len(suite)} suite instances finished ({pairs} of {len(LITERATURE_PAIRS)} pairs)")
    strata: tuple[tuple[str, Callable[[tuple[str, int, int]], object]], ...] = (
        ("dimension", lambda k: suite[k]),
        ("B^r bucket", lambda k: bucket(k[1], k[2])),
    )
    for label, key in strata:
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for k in sorted(suite, key=lambda k: (suite[k], k)):
            counts[str(key(k))][1] += 1
            counts[str(key(k))][0] += k in done
        print(f"  by {label}: " + ", ".join(f"{v}: {c[0]}/{c[1]}" for v, c in counts.items()))
    missing = sorted({family(p) for p in LITERATURE_PAIRS} - {family(p) for p, _, _ in done})
    print(f"  families without a finished instance ({len(missing)}): {', '.join(missing) or 'none'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/literature_sample.txt"))
    parser.add_argument("--coverage", type=Path, nargs="+", help="results files: print their coverage instead")
    args = parser.parse_args()
    if args.coverage:
        coverage(args.coverage)
        return
    chosen = sample(args.size, args.seed)
    header = (
        f"# Stratified sample of the paper-literature suite: {len(chosen)} instances, seed {args.seed}.\n"
        f"# Written by: python benchmarks/literature_sample.py --size {args.size} --seed {args.seed}\n"
    )
    args.out.write_text(header + "".join(f"{p} {nh} {nl}\n" for p, nh, nl in chosen))
    families = {family(p) for p, _, _ in chosen}
    print(f"{len(chosen)} instances, {len({p for p, _, _ in chosen})} pairs, {len(families)} families -> {args.out}")


if __name__ == "__main__":
    main()
