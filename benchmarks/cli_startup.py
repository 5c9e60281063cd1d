"""Start-up time of the ``mfopt`` command against a bare Python interpreter, in the same run.

Runs ``mfopt --help``, ``mfopt plugins --json`` and ``python -c pass`` alternately, ``--repeat``
times each, and prints the median wall time and the median CPU time (user + system of the child)
of each, and the ratio to ``python -c pass``. The target is ``mfopt --help`` under 0.5 s wall.

    python benchmarks/cli_startup.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time


def _measure(command: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) for one run of ``command``."""
    before = os.times()
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs of each command (median reported)")
    args = parser.parse_args()
    mfopt = shutil.which("mfopt")
    prefix = [mfopt] if mfopt else [sys.executable, "-m", "mfopt"]
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "mfopt --help": [*prefix, "--help"],
        "mfopt plugins --json": [*prefix, "plugins", "--json"],
    }
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(args.repeat):  # interleaved, so machine noise hits every command alike
        for name, command in commands.items():
            samples[name].append(_measure(command))
    base_wall = statistics.median(w for w, _ in samples["python -c pass"])
    print(f"{'command':<24}{'wall s':>9}{'cpu s':>9}{'wall / python':>15}   (median of {args.repeat})")
    for name, runs in samples.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        print(f"{name:<24}{wall:>9.3f}{cpu:>9.3f}{wall / base_wall:>15.1f}")
    help_wall = statistics.median(w for w, _ in samples["mfopt --help"])
    verdict = "met" if help_wall < 0.5 else "NOT met"
    print(f"target mfopt --help < 0.5 s wall: {verdict} ({help_wall:.3f} s)")


if __name__ == "__main__":
    main()
