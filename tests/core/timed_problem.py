"""A picklable Forrester problem whose evaluations sleep and log their start and end times."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import torch
from torch import Tensor

from mfopt import Fidelity, FunctionProblem


class TimedForrester(FunctionProblem):
    """Each evaluation sleeps ``sleep`` seconds and appends ``x start end`` to ``log``."""

    def __init__(self, log: Path, sleep: float) -> None:
        super().__init__("timed-forrester", [[0.0], [1.0]], {"high": self._f}, [Fidelity("high", 1.0)], -6.0207)
        self.log = Path(log)
        self.sleep = sleep

    def _f(self, X: Tensor) -> Tensor:
        start = time.time()
        time.sleep(self.sleep)
        x = X[..., 0]
        with self.log.open("a") as fh:
            fh.write(f"{float(x[0])!r} {start!r} {time.time()!r}\n")
        return (6 * x - 2) ** 2 * torch.sin(12 * x - 4)


def intervals(log: Path) -> list[tuple[float, float]]:
    """(start, end) of every logged evaluation, by start time."""
    rows = [line.split() for line in log.read_text().splitlines()]
    return sorted((float(s), float(e)) for _, s, e in rows)


def most_idle(spans: list[tuple[float, float]], workers: int, ignore: float = 0.02) -> int:
    """The largest number of idle workers over a stretch longer than ``ignore`` seconds, between
    the moment every worker first got an evaluation and the last evaluation's start."""
    begin = spans[workers - 1][0]
    finish = spans[-1][0]
    events = sorted({t for span in spans for t in span if begin <= t <= finish} | {begin, finish})
    worst = 0
    for a, b in itertools.pairwise(events):
        if b - a <= ignore:
            continue
        middle = (a + b) / 2
        busy = sum(1 for s, e in spans if s <= middle < e)
        worst = max(worst, workers - busy)
    return worst
