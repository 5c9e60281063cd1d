"""User problems evaluated by an external program: ``[problem] command = ["./sim", "{input}", ...]``.

The command is an argument list run without a shell. Placeholders, replaced per evaluation:

- ``{input}``: path of a file holding the point as one line of space-separated values (full
  precision), in a private temporary directory per evaluation (concurrent runs never share it);
- ``{x}``: as a whole argument, expands into ``d`` separate arguments (one per value); inside a larger
  argument (``--x={x}``) it becomes the comma-separated values;
- ``{fidelity}``: the fidelity's name; ``{level}``: its level; ``{tmpdir}``: the private directory.

The **last non-empty line of stdout** must be the value (earlier lines may be logs; output that is
not UTF-8 is decoded with replacement characters, so a log line in another encoding does not fail
a valid value). A non-zero exit, a timeout (``timeout`` seconds, default 600) or unparsable output
raises :class:`~mfopt.EvaluationError` carrying the tail of stderr. The program runs in its own
session (process group); on a timeout (or an interrupt) the whole group is killed, so children
and grandchildren it started do not outlive the evaluation. Options: ``lower``, ``upper``,
``fidelities`` (see :mod:`mfopt_problems.user_common`), ``timeout``, ``cwd`` (working directory of the
program, default the current directory when the problem is created; a relative program path such as
``./sim`` is resolved against it), ``env`` (extra environment variables), ``optimum``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from mfopt import DTYPE, EvaluationError, Problem
from mfopt_problems.user_common import as_value, evaluate_rows, parse_box, parse_fidelities

PLACEHOLDERS = ("{input}", "{x}", "{fidelity}", "{level}", "{tmpdir}")


def _resolve_program(program: str, cwd: Path) -> str:
    if os.sep in program or program.startswith("."):
        path = (cwd / program).resolve()
        if not path.is_file() or not os.access(path, os.X_OK):
            raise ValueError(f"command[0] = {program!r}: {path} is not an executable file")
        return str(path)
    found = shutil.which(program)
    if not found:
        raise ValueError(f"command[0] = {program!r} is not on PATH")
    return found


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group is gone already
        os.killpg(process.pid, signal.SIGKILL)


def _run_in_own_group(
    args: list[str], timeout: float, cwd: str, env: dict[str, str] | None, what: str
) -> tuple[int, bytes, bytes]:
    """Run ``args`` in a new session; kill its whole process group on a timeout or an interrupt."""
    try:
        process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=env, start_new_session=True
        )
    except OSError as exc:
        raise EvaluationError(f"could not run {args[0]}: {exc}") from exc
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        _kill_group(process)
        process.communicate()
        raise EvaluationError(f"{what}: timed out after {timeout:g} s (its process group was killed)") from exc
    except BaseException:
        _kill_group(process)
        process.communicate()
        raise
    _kill_group(process)  # anything it left running in the background
    return process.returncode, out, err


class CommandProblem(Problem):
    """A problem evaluated by running a program once per point. The options come checked
    (:class:`mfopt_problems.options.CommandOptions`); the factory finds the program."""

    has_gradients = False

    def __init__(
        self,
        command: list[str],
        lower: list[float],
        upper: list[float],
        fidelities: list[dict[str, Any]] | None = None,
        timeout: float = 600.0,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        optimum: float | None = None,
    ) -> None:
        workdir = Path(cwd).resolve() if cwd else Path.cwd()
        if not workdir.is_dir():
            raise ValueError(f"cwd = {cwd!r} is not a directory")
        self.bounds = parse_box(lower, upper)
        self.fidelities = parse_fidelities(fidelities)
        self.command = [_resolve_program(command[0], workdir), *command[1:]]
        self.name = Path(command[0]).name
        self.timeout, self.cwd, self.env, self.optimum = float(timeout), str(workdir), dict(env or {}), optimum

    def arguments(self, x: list[float], fidelity: str, tmpdir: str, input_path: str) -> list[str]:
        """The argument list for one evaluation (placeholders replaced)."""
        values = [repr(float(v)) for v in x]
        level = repr(self.fidelity(fidelity).level)
        args = [self.command[0]]
        for arg in self.command[1:]:
            if arg == "{x}":
                args.extend(values)
                continue
            args.append(
                arg.replace("{input}", input_path)
                .replace("{x}", ",".join(values))
                .replace("{fidelity}", fidelity)
                .replace("{level}", level)
                .replace("{tmpdir}", tmpdir)
            )
        return args

    def run_point(self, x: list[float], fidelity: str) -> float:
        with tempfile.TemporaryDirectory(prefix="mfopt-cmd-") as tmp:
            input_path = os.path.join(tmp, "input.txt")
            Path(input_path).write_text(" ".join(repr(float(v)) for v in x) + "\n")
            args = self.arguments(x, fidelity, tmp, input_path)
            env = {**os.environ, **self.env} if self.env else None
            returncode, out, err = _run_in_own_group(args, self.timeout, self.cwd, env, f"{self.name} at x = {x}")
        stdout = out.decode("utf-8", errors="replace")
        stderr = err.decode("utf-8", errors="replace").strip()[-2000:]
        if returncode != 0:
            raise EvaluationError(f"{self.name} exited with status {returncode} at x = {x}: {stderr}")
        lines = [line for line in stdout.splitlines() if line.strip()]
        if not lines:
            raise EvaluationError(f"{self.name} printed nothing on stdout at x = {x}; stderr: {stderr}")
        try:
            return as_value(lines[-1].strip(), self.name)
        except EvaluationError as exc:
            raise EvaluationError(f"{exc} (last stdout line at x = {x}); stderr: {stderr}") from None

    def evaluate(self, X: Tensor, fidelity: str) -> Tensor:
        self.fidelity(fidelity)
        X = torch.as_tensor(X, dtype=DTYPE).reshape(-1, self.dim)
        return evaluate_rows(X, lambda row: self.run_point(row, fidelity))


__all__ = ["PLACEHOLDERS", "CommandProblem"]
