"""SOLAR (Garneau 2015; code at github.com/bbopt/solar) through an installed ``solar`` executable.

mfopt never vendors or builds SOLAR. The executable comes from the factory option ``executable``
(``[problem] executable = "/path/to/solar"``), else the environment variable ``MFOPT_SOLAR``, else
``solar`` on ``PATH``. Each evaluation writes its point into a private temporary directory (so
concurrent evaluations, in threads or processes, never share a file) and runs, as an argument list
(never a shell)::

    solar 10 <dir>/x.txt -fid=<F> -seed=0 -rep=1

Problem 10 (MINCOST_UNCONSTRAINED) has 5 variables in physical units (bounds :data:`SOLAR_BOUNDS`).
Fidelities: ``low`` (level and ``-fid`` = ``low_fidelity``, default 0.5; cost = ``low_fidelity``) and
``high`` (``-fid=1``, cost 1); ``[problem.costs]`` overrides the costs. With a list,
``low_fidelity = [0.1, 0.5]``, there is one cheap fidelity per level, named ``fid<level>``
(``fid0.1``, ``fid0.5``), each with level, ``-fid`` and default cost equal to that number.
Output ``1e+20`` with exit 0 is a hidden-constraint failure, exit status 1 is an error: for a
single point (the loop evaluates one point per call) both raise :class:`~mfopt.EvaluationError`
with the reason; in a batch the failed points come back NaN (the loop records them as failed).
A run that exceeds ``timeout`` is killed and recorded as failed with an error starting
``failed-timeout``: valid points with thin insulation can run for minutes, so a timeout says
nothing about the point's quality, and the strategies do not impute it at the worst value
(``[run].impute_failures`` applies to the other failures only).
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from mfopt import DTYPE, EvaluationError, Fidelity, Problem, Registry

SOLAR_BOUNDS = ((793.0, 2.0, 2.0, 0.01, 0.01), (995.0, 50.0, 30.0, 5.0, 5.0))
FAILURE = 1e19  # SOLAR prints 1e+20 for failures
#: starts the error of a timed-out run: the point is recorded as failed, and the strategies leave
#: it out of the worst-value imputation (a slow run says nothing about the point's quality)
TIMEOUT_MARK = "failed-timeout"
LEVELS = tuple(round(0.1 * i, 1) for i in range(1, 10))
HOW_TO = (
    'set `executable = "/path/to/solar"` in [problem], or the MFOPT_SOLAR environment variable, or put '
    "`solar` on PATH (build it from https://github.com/bbopt/solar)"
)


def find_executable(executable: str | None = None) -> str:
    """The SOLAR executable to use; ValueError saying how to point to one when there is none."""
    candidate = executable or os.environ.get("MFOPT_SOLAR") or shutil.which("solar")
    if not candidate:
        raise ValueError(f"no SOLAR executable found: {HOW_TO}")
    resolved = shutil.which(candidate) if os.sep not in candidate else candidate
    if not resolved or not Path(resolved).is_file() or not os.access(resolved, os.X_OK):
        raise ValueError(f"SOLAR executable {candidate!r} does not exist or is not executable: {HOW_TO}")
    return str(Path(resolved).resolve())


class SolarProblem(Problem):
    """SOLAR problem 10 at two fidelities; evaluations are subprocess runs (no gradients).
    The options come checked (:class:`mfopt_problems.options.SolarOptions`)."""

    has_gradients = False
    optimum = None  # best known 42.416671 (SOLAR problem 10), not a proven optimum

    def __init__(
        self,
        executable: str,
        low_fidelity: float | Sequence[float] = 0.5,
        timeout: float = 600.0,
        name: str = "solar",
    ):
        self.name = name
        self.executable = executable
        self.timeout = float(timeout)
        self.bounds = torch.tensor(SOLAR_BOUNDS, dtype=DTYPE)
        if isinstance(low_fidelity, int | float):
            cheap = [Fidelity("low", float(low_fidelity), float(low_fidelity))]
        else:  # several cheap levels: named by their -fid value, lowest first
            cheap = [Fidelity(f"fid{level:g}", float(level), float(level)) for level in sorted(low_fidelity)]
        self.fidelities = (*cheap, Fidelity("high", 1.0, 1.0))

    def run_point(self, x: list[float], fid: float) -> float:
        """One SOLAR run; EvaluationError on a hidden constraint, an error exit, a timeout or bad output."""
        with tempfile.TemporaryDirectory(prefix="mfopt-solar-") as tmp:
            path = Path(tmp) / "x.txt"
            path.write_text(" ".join(repr(float(v)) for v in x) + "\n")
            args = [self.executable, "10", str(path), f"-fid={fid:g}", "-seed=0", "-rep=1"]
            try:
                done = subprocess.run(args, capture_output=True, text=True, timeout=self.timeout, cwd=tmp, check=False)
            except subprocess.TimeoutExpired as exc:
                raise EvaluationError(f"{TIMEOUT_MARK}: SOLAR timed out after {self.timeout:g} s at x = {x}") from exc
            except OSError as exc:
                raise EvaluationError(f"could not run SOLAR ({self.executable}): {exc}") from exc
        text = done.stdout.strip()
        detail = " ".join(part for part in (text, done.stderr.strip()) if part)
        if done.returncode != 0:
            raise EvaluationError(f"SOLAR failed (exit {done.returncode}) at x = {x} (fid {fid:g}): {detail}")
        try:
            value = float(text.split()[0])
        except (IndexError, ValueError):
            raise EvaluationError(f"SOLAR printed no number at x = {x}: {detail!r}") from None
        if not math.isfinite(value) or value >= FAILURE:
            raise EvaluationError(f"hidden constraint violated at x = {x} (SOLAR returned {text}; x1 < 813 K fails)")
        return value

    def evaluate(self, X: Tensor, fidelity: str) -> Tensor:
        fid = self.fidelity(fidelity).level
        X = torch.as_tensor(X, dtype=DTYPE).reshape(-1, self.dim)
        rows = X.tolist()
        if len(rows) == 1:
            return torch.tensor([self.run_point(rows[0], fid)], dtype=DTYPE)
        values = []
        for row in rows:
            try:
                values.append(self.run_point(row, fid))
            except EvaluationError:
                values.append(math.nan)
        return torch.tensor(values, dtype=DTYPE)


def make_solar(
    executable: str | None = None, low_fidelity: float | list[float] = 0.5, timeout: float = 600.0
) -> SolarProblem:
    """Factory for ``[problem] name = "solar"`` (options: executable, low_fidelity (one level, or a
    list of levels for several cheap sources), timeout)."""
    return SolarProblem(find_executable(executable), low_fidelity, timeout)


def make_solar_pair(level: float, executable: str | None = None, timeout: float = 600.0) -> SolarProblem:
    """Factory for the paper's ``SOLAR<level>`` pairs (HF = fidelity 1, LF = fidelity ``level``)."""
    return SolarProblem(find_executable(executable), level, timeout, name=f"SOLAR{level:.2f}")


def register(registry: Registry) -> None:
    info: dict[str, Any] = {
        "dim": 5,
        "domain": [list(SOLAR_BOUNDS[0]), list(SOLAR_BOUNDS[1])],
        "fidelities": ["low", "high"],
    }
    registry.register(
        "solar",
        make_solar,
        description="SOLAR problem 10 via an installed executable (options: executable, low_fidelity, timeout)",
        options="mfopt_problems.options:SolarOptions",
        family="SOLAR",
        **info,
    )
    for level in LEVELS:
        registry.register(
            f"SOLAR{level:.2f}",
            partial(make_solar_pair, level),
            description=f"SOLAR problem 10, HF fidelity 1, LF fidelity {level:.2f} (needs a solar executable)",
            options="mfopt_problems.options:SolarPairOptions",
            family="SOLAR<a>",
            **info,
        )


__all__ = ["SOLAR_BOUNDS", "SolarProblem", "find_executable", "make_solar", "make_solar_pair", "register"]
