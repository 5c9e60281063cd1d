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

With ``--remaining RESULTS.sqlite ...`` it writes to ``--out`` the sample file's (``--sample``) instances
that the results files (pooled) have not finished: first the cheapest instance (fewest low-fidelity
points) of every pair family without a finished instance (so every family and dimension comes in);
then, among instances with ``n_l <= 60`` (what a niced worker on a shared machine can finish), the
cheapest of every (family, budget-ratio bucket) stratum without a finished instance, then the rest in
the sample's order; then the instances with ``n_l > 60``: the cheapest of every uncovered stratum, then
the rest cheapest first (fewest low-fidelity points, then dimension, then high-fidelity points: the most
instances per session).

    python benchmarks/literature_sample.py --remaining /work/results/literature_sample_v5.sqlite ... --out next.txt

``--order cost`` writes the same instances cheapest first instead (by ``d x n_l``, then ``n_h``: the
fitted cost per instance grows about as ``d^1.3 n_l^1.3``, ``study_speed.py --observed``), for the most
instances in a session once every family has a finished instance.
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


def finished(paths: list[Path], reps: int = 40) -> set[tuple[str, int, int]]:
    """Instances with every repetition of both models stored in ``paths`` (results files or exports, pooled)."""
    from mfopt.benchmark.export import read_rows

    stored: dict[tuple[str, int, int], set[tuple[int, str]]] = defaultdict(set)
    for row in read_rows(paths):
        stored[(row.pair, row.n_high, row.n_low)].add((row.rep, row.model))
    return {key for key, rows in stored.items() if len(rows) >= 2 * reps}


def read_sample(path: Path) -> list[tuple[str, int, int]]:
    """The ``pair n_h n_l`` lines of a sample file, in order."""
    lines = [line.split() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    return [(p, int(nh), int(nl)) for p, nh, nl in lines]


def remaining(chosen: list[tuple[str, int, int]], done: set[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """``chosen`` minus ``done``, uncovered families first, then uncovered strata, then ``n_l <= 60`` first
    (the ``n_l > 60`` rest cheapest first)."""
    pm = get_plugin_manager()
    dims = {pair: load_problem(pm, pair).dim for pair in {p for p, _, _ in chosen}}
    todo = [k for k in chosen if k not in done]
    cost = lambda k: (k[2], dims[k[0]], k[1])  # noqa: E731
    groups: list[list[tuple[str, int, int]]] = []
    for stratum in (lambda k: family(k[0]), lambda k: (family(k[0]), bucket(k[1], k[2]))):
        covered = {stratum(k) for k in done} | {stratum(k) for group in groups for k in group}
        cheapest: dict[object, tuple[str, int, int]] = {}
        for k in sorted(todo, key=cost):
            if stratum(k) not in covered:
                cheapest.setdefault(stratum(k), k)
        groups.append(sorted(cheapest.values(), key=cost))
    families, strata = groups
    rest = [k for k in todo if k not in set(families + strata)]
    cheap = [k for k in strata + rest if k[2] <= 60]
    heavy = [k for k in strata if k[2] > 60] + sorted((k for k in rest if k[2] > 60), key=cost)
    return families + cheap + heavy


def coverage(paths: list[Path], reps: int = 40) -> None:
    """Print the suite's strata covered by the finished instances of ``paths`` (pooled)."""
    pm = get_plugin_manager()
    dims = {pair: load_problem(pm, pair).dim for pair in LITERATURE_PAIRS}
    suite = {(pair, nh, nl): dims[pair] for pair in LITERATURE_PAIRS for nh, nl in budgets(dims[pair], "paper")}
    done = {key for key in finished(paths, reps) if key in suite}
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
    parser.add_argument("--remaining", type=Path, nargs="+", help="results files: write the unfinished rest to --out")
    parser.add_argument("--sample", type=Path, default=Path("benchmarks/literature_sample.txt"))
    parser.add_argument(
        "--order",
        choices=("strata", "cost"),
        default="strata",
        help="with --remaining: uncovered families and strata first (strata), or cheapest first by d x n_l, n_h (cost)",
    )
    args = parser.parse_args()
    if args.coverage:
        coverage(args.coverage)
        return
    if args.remaining:
        chosen = read_sample(args.sample)
        todo = remaining(chosen, finished(args.remaining))
        if args.order == "cost":
            pm = get_plugin_manager()
            dims = {pair: load_problem(pm, pair).dim for pair in {p for p, _, _ in todo}}
            todo.sort(key=lambda k: (dims[k[0]] * k[2], k[1]))
        args.out.write_text("".join(f"{p} {nh} {nl}\n" for p, nh, nl in todo))
        print(f"{len(chosen) - len(todo)} of {len(chosen)} sample instances finished; {len(todo)} to run -> {args.out}")
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
