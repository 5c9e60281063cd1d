"""Resume check for plugins with state across iterations (a surrogate's warm refit, a strategy's memo):
a study stopped part-way and resumed in a fresh :class:`~mfopt.loop.Study` must propose what the
uninterrupted study proposed."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from mfopt.data import DTYPE
from mfopt.loop import Study
from mfopt.problem import Problem


def proposed_points(study: Study) -> list[list[float]]:
    """The points of a study's observations in the order they were made (by id)."""
    return [list(o.x) for o in sorted(study.dataset.observations, key=lambda o: o.id or 0)]


def resumed_proposals(config: Mapping[str, Any], problem: Problem, run_dir: Path, stop_after: int) -> list[list[float]]:
    """Drive a study by ask/tell until it holds ``stop_after`` observations, close it, resume it from
    ``run_dir`` in a fresh :class:`Study` and run it to the end; the points of the resumed run."""
    with Study(config, run_dir=run_dir) as study:
        while len(study.dataset.observations) < stop_after:
            for c in study.ask():
                x = torch.tensor([c.x], dtype=DTYPE)
                study.tell(c, float(problem.evaluate(x, c.fidelity)[0]))
    with Study(config, run_dir=run_dir, resume=True) as resumed:
        resumed.run()
        return proposed_points(resumed)
