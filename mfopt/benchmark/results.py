"""The study's results file: one SQLite row per (instance, repetition, model).

Only the parent process writes (worker tasks return rows); each finished task's rows are inserted
in one transaction, so a killed run loses at most the tasks in flight. WAL journaling lets
``mfopt benchmark analyse`` read while a run writes. ``meta`` holds the settings that make rows
comparable (``seed``, ``device`` is not one of them); resuming with a different ``seed`` is an error.

Columns of ``rows``: ``pair, n_high, n_low, dim, rep, seed, model, correlation, rrmse,
fit_seconds, features`` (JSON object, the sample's features), ``decisions`` (JSON object,
detector label -> true = use the cheap source, false = ignore it, null = failed), ``finished_at``
(UNIX time the row was stored), ``rules`` (JSON object, detector label -> the rule that decided,
:attr:`mfopt.Decision.rule`; ``{}`` in files written before it was recorded, to which the column
is added on open). Primary key ``(pair, n_high, n_low, rep, model)``.

``designs`` keeps the cheap level of every nested design a run used (``dim, n_low, seed`` and the
``n_low x dim`` unit-cube points as float64 bytes), computed once per study on its executor
(:func:`mfopt.benchmark.runner.prepare_designs`), so a resumed run, or another machine's run into a
copy of the file, does not compute them again.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mfopt.errors import ConfigError, StoreError

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rows (
    pair TEXT NOT NULL, n_high INTEGER NOT NULL, n_low INTEGER NOT NULL, dim INTEGER NOT NULL,
    rep INTEGER NOT NULL, seed INTEGER NOT NULL, model TEXT NOT NULL,
    correlation REAL, rrmse REAL, fit_seconds REAL,
    features TEXT NOT NULL, decisions TEXT NOT NULL, finished_at REAL NOT NULL,
    rules TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (pair, n_high, n_low, rep, model)
);
CREATE TABLE IF NOT EXISTS designs (
    dim INTEGER NOT NULL, n_low INTEGER NOT NULL, seed INTEGER NOT NULL, points BLOB NOT NULL,
    PRIMARY KEY (dim, n_low, seed)
);
"""


@dataclass(frozen=True)
class Row:
    """One stored result (see the module docstring)."""

    pair: str
    n_high: int
    n_low: int
    dim: int
    rep: int
    seed: int
    model: str
    correlation: float
    rrmse: float
    fit_seconds: float
    features: dict[str, float]
    decisions: dict[str, bool | None]
    finished_at: float = 0.0
    rules: dict[str, str] = field(default_factory=dict)


def _real(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _json(value: Any) -> str:
    """JSON with NaN/inf written as null (strict JSON readers reject NaN)."""
    if isinstance(value, dict):
        value = {k: (_real(v) if isinstance(v, float) else v) for k, v in value.items()}
    return json.dumps(value, sort_keys=True)


class ResultsStore:
    """Opens (creating if needed) the SQLite results file at ``path``."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=60.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(SCHEMA)
            columns = {rec[1] for rec in self._db.execute("PRAGMA table_info(rows)")}
            if "rules" not in columns:
                with self._db:
                    self._db.execute("ALTER TABLE rows ADD COLUMN rules TEXT NOT NULL DEFAULT '{}'")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a usable results file ({exc})") from exc

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # settings -------------------------------------------------------------------------------
    def meta(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    def check_meta(self, settings: dict[str, str]) -> None:
        """Record ``settings``; a stored setting with another value is a :class:`ConfigError`."""
        stored = self.meta()
        for key, value in settings.items():
            if key in stored and stored[key] != value:
                raise ConfigError(
                    f"{self.path} was written with {key} = {stored[key]}, not {value}; "
                    "use another --out file or the same settings to resume"
                )
        with self._db:
            self._db.executemany("INSERT OR IGNORE INTO meta VALUES (?, ?)", list(settings.items()))

    # rows -----------------------------------------------------------------------------------
    def done(self) -> dict[tuple[str, int, int], set[tuple[int, str]]]:
        """``(pair, n_high, n_low) -> {(rep, model)}`` already stored."""
        out: dict[tuple[str, int, int], set[tuple[int, str]]] = {}
        for pair, nh, nl, rep, model in self._db.execute("SELECT pair, n_high, n_low, rep, model FROM rows"):
            out.setdefault((pair, nh, nl), set()).add((rep, model))
        return out

    def add(self, rows: Iterable[Row], keep_time: bool = False) -> int:
        """Insert ``rows`` in one transaction (existing keys are kept); returns how many were new.

        ``finished_at`` is the time of this call, or each row's own with ``keep_time`` (an import)."""
        now = time.time()
        values = [
            (
                r.pair, r.n_high, r.n_low, r.dim, r.rep, r.seed, r.model,
                _real(r.correlation), _real(r.rrmse), _real(r.fit_seconds),
                _json(r.features), _json(r.decisions), r.finished_at if keep_time else now, _json(r.rules),
            )
            for r in rows
        ]  # fmt: skip
        try:
            with self._db:
                before = self._db.total_changes
                self._db.executemany("INSERT OR IGNORE INTO rows VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", values)
                return self._db.total_changes - before
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot store results ({exc})") from exc

    def rows(self) -> Iterator[Row]:
        """Every stored row, ordered by instance, repetition and model."""
        query = (
            "SELECT pair, n_high, n_low, dim, rep, seed, model, correlation, rrmse, fit_seconds, features, "
            "decisions, finished_at, rules FROM rows ORDER BY dim, pair, n_high, n_low, rep, model"
        )
        for rec in self._db.execute(query):
            corr, rrmse, seconds = (math.nan if v is None else float(v) for v in rec[7:10])
            features = {k: (math.nan if v is None else float(v)) for k, v in json.loads(rec[10]).items()}
            yield Row(
                rec[0], rec[1], rec[2], rec[3], rec[4], rec[5], rec[6], corr, rrmse, seconds,
                features, json.loads(rec[11]), rec[12], json.loads(rec[13]),
            )  # fmt: skip

    # designs --------------------------------------------------------------------------------
    def designs(self) -> dict[tuple[int, int, int], np.ndarray]:
        """Every stored cheap level by ``(dim, n_low, seed)`` (``n_low x dim`` arrays)."""
        out = {}
        for dim, n_low, seed, points in self._db.execute("SELECT dim, n_low, seed, points FROM designs"):
            out[(dim, n_low, seed)] = np.frombuffer(points, dtype=np.float64).reshape(n_low, dim).copy()
        return out

    def add_designs(self, designs: dict[tuple[int, int, int], np.ndarray]) -> None:
        """Store cheap levels (existing keys are kept), in one transaction."""
        values = [
            (dim, n_low, seed, np.ascontiguousarray(points, dtype=np.float64).tobytes())
            for (dim, n_low, seed), points in designs.items()
        ]
        try:
            with self._db:
                self._db.executemany("INSERT OR IGNORE INTO designs VALUES (?,?,?,?)", values)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot store designs ({exc})") from exc

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM rows").fetchone()[0])


def row_dict(row: Row) -> dict[str, Any]:
    """A row as a plain dict (for JSON and comparisons); ``finished_at`` left out."""
    out = asdict(row)
    out.pop("finished_at")
    return out
