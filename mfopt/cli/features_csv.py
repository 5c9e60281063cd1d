"""Reading a bi-fidelity sample from CSV for ``mfopt features --data``.

Format: a header row naming ``x1, ..., xd``, ``y_high`` and ``y_low`` (other columns are ignored),
then one row per point. Every cell of ``x*`` and ``y_low`` must be a finite number; ``y_high`` may
be empty for a point known at the cheap source only (it then counts in ``B_l`` but not in the
matched sample). At least 3 rows must have both values. Rows are numbered from 1 after the header.
A malformed file is a one-line :class:`~mfopt.errors.ConfigError`.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import numpy as np

from mfopt.errors import ConfigError

_X = re.compile(r"^x(\d+)$")


def _number(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{where}: {text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise ConfigError(f"{where}: {text.strip()!r} is not a finite number")
    return value


def _bounds(text: str | None, option: str, d: int, default: np.ndarray) -> np.ndarray:
    if text is None:
        return default
    parts = [p for p in text.split(",") if p.strip()]
    values = np.array([_number(p, option) for p in parts], dtype=np.float64)
    if values.size == 1:
        values = np.full(d, values[0])
    if values.size != d:
        raise ConfigError(f"{option}: expected 1 or {d} comma-separated numbers, got {values.size}")
    return values


def read_samples(
    path: Path, lower: str | None = None, upper: str | None = None
) -> tuple[np.ndarray, list[float | None], list[float], np.ndarray]:
    """``(X n x d, y_high (None = not known), y_low, bounds 2 x d)`` from ``path``.

    ``lower``/``upper`` are comma-separated bounds (one number, or one per input column); by
    default the box spanned by the sample's own minima and maxima.
    """
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"--data: cannot read {path}: {exc.strerror or exc}") from None
    reader = csv.reader(text.splitlines())
    header = [h.strip() for h in next(reader, [])]
    if not header:
        raise ConfigError(f"{path}: empty file; expected a header x1,...,xd,y_high,y_low")
    indices = {int(m.group(1)): i for i, h in enumerate(header) if (m := _X.match(h))}
    d = len(indices)
    missing = [f"x{k}" for k in range(1, d + 1) if k not in indices] if d else ["x1"]
    missing += [c for c in ("y_high", "y_low") if c not in header]
    if missing:
        raise ConfigError(f"{path}: missing column(s) {', '.join(missing)} (header: {','.join(header)})")
    x_cols = [indices[k] for k in range(1, d + 1)]
    hi, lo = header.index("y_high"), header.index("y_low")
    X: list[list[float]] = []
    y_high: list[float | None] = []
    y_low: list[float] = []
    for row_no, row in enumerate(reader, start=1):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            raise ConfigError(f"{path}: row {row_no} has {len(row)} cells, the header has {len(header)}")
        X.append([_number(row[i], f"{path}: row {row_no} column {header[i]!r}") for i in x_cols])
        y_low.append(_number(row[lo], f"{path}: row {row_no} column 'y_low'"))
        y_high.append(_number(row[hi], f"{path}: row {row_no} column 'y_high'") if row[hi].strip() else None)
    both = sum(v is not None for v in y_high)
    if both < 3:
        raise ConfigError(f"{path}: need at least 3 rows with both y_high and y_low, got {both}")
    Xa = np.asarray(X, dtype=np.float64)
    lb = _bounds(lower, "--lower", d, Xa.min(axis=0))
    ub = _bounds(upper, "--upper", d, Xa.max(axis=0))
    if np.any(lb > ub):
        raise ConfigError(f"--lower/--upper: every lower bound must not exceed its upper bound ({lb} vs {ub})")
    outside = np.flatnonzero(np.any((Xa < lb) | (Xa > ub), axis=1))
    if outside.size:
        raise ConfigError(f"{path}: row {outside[0] + 1} lies outside the box --lower {lb} --upper {ub}")
    return Xa, y_high, y_low, np.stack([lb, ub])
