"""Write a stratified random sample of the ``paper-literature`` suite as a suite file (``pair n_h n_l`` lines).

Strata: (pair family, budget-ratio bucket). The family is the pair name without its parameter
(``ToalBranin0.30`` -> ``ToalBranin``; ``WangRastrigin-d5-error2-phi5000`` -> ``WangRastrigin-d5``,
so the family fixes the dimension); buckets of ``B^r = n_h/n_l``: ``<= 0.25``, ``<= 0.5``,
``<= 0.75``, ``< 1``, ``= 1``. Instances are shuffled within each stratum (``--seed``), then
taken round-robin over the strata in a shuffled order, so every prefix of the file is itself
close to stratified: a run cut short still covers every family, dimension and budget ratio
as far as it got.

    python benchmarks/literature_sample.py --size 1500 --seed 2024 --out benchmarks/literature_sample.txt
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/literature_sample.txt"))
    args = parser.parse_args()
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
