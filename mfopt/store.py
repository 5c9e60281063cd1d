"""The run store: one SQLite file per run, the source of truth for a study.

Every candidate is written (status ``pending``) before it is evaluated, every outcome as soon as
it arrives, every gate decision and every model fit before the next step. A killed run is
continued from the file alone: completed evaluations are kept exactly once and pending ones are
run again. WAL journaling with ``synchronous=NORMAL`` makes each commit survive a killed process.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mfopt.data import Candidate, Decision, Observation, Status
from mfopt.errors import StoreError

SCHEMA_VERSION = 1
STORE_FILE = "run.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS evaluations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    iteration INTEGER NOT NULL,
    fidelity TEXT NOT NULL,
    x TEXT NOT NULL,
    status TEXT NOT NULL,
    value REAL,
    gradient TEXT,
    cost REAL NOT NULL,
    error TEXT,
    proposed_at REAL NOT NULL,
    finished_at REAL,
    duration REAL,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    iteration INTEGER NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    detector TEXT NOT NULL,
    use_low INTEGER NOT NULL,
    rule TEXT NOT NULL,
    reason TEXT NOT NULL,
    features TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS iterations (
    iteration INTEGER PRIMARY KEY,
    surrogate TEXT NOT NULL,
    fidelities TEXT NOT NULL,
    info TEXT NOT NULL,
    created_at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class DecisionRecord:
    iteration: int
    decision: Decision


def _json_float(value: Any) -> Any:
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    return value


class RunStore:
    """A run's SQLite file. Use :meth:`create` for a new run and :meth:`open` for an existing one."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self._db = connection

    # opening ------------------------------------------------------------------------------
    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(str(path), isolation_level=None, timeout=30.0)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        return db

    @classmethod
    def create(cls, run_dir: str | Path, meta: Mapping[str, Any]) -> RunStore:
        """Create ``run_dir/run.sqlite``; refuses when a run is already there."""
        run_dir = Path(run_dir)
        path = run_dir / STORE_FILE
        if path.exists():
            raise StoreError(f"{run_dir} already holds a run")
        run_dir.mkdir(parents=True, exist_ok=True)
        store = cls(path, cls._connect(path))
        store._db.executescript(_SCHEMA)
        store.set_meta({"schema_version": SCHEMA_VERSION, "created_at": time.time(), "status": "created", **meta})
        return store

    @classmethod
    def memory(cls, meta: Mapping[str, Any]) -> RunStore:
        """A store that lives in memory only (Python ask/tell without a run directory)."""
        store = cls(Path(":memory:"), sqlite3.connect(":memory:", isolation_level=None))
        store._db.executescript(_SCHEMA)
        store.set_meta({"schema_version": SCHEMA_VERSION, "created_at": time.time(), "status": "created", **meta})
        return store

    @classmethod
    def open(cls, run_dir: str | Path) -> RunStore:
        run_dir = Path(run_dir)
        path = run_dir / STORE_FILE
        if not path.exists():
            raise StoreError(f"{run_dir} holds no run (no {STORE_FILE})")
        try:
            store = cls(path, cls._connect(path))
            version = store.meta().get("schema_version")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path} is not a readable run store: {exc}") from exc
        if version != SCHEMA_VERSION:
            raise StoreError(f"{path}: run store schema {version!r}, this mfopt reads {SCHEMA_VERSION}")
        return store

    @staticmethod
    def exists(run_dir: str | Path) -> bool:
        return (Path(run_dir) / STORE_FILE).exists()

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # meta ---------------------------------------------------------------------------------
    def set_meta(self, values: Mapping[str, Any]) -> None:
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [(k, json.dumps(v)) for k, v in values.items()],
            )

    def meta(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self._db.execute("SELECT key, value FROM meta")}

    # evaluations --------------------------------------------------------------------------
    def add_candidates(self, candidates: Sequence[Candidate], costs: Mapping[str, float]) -> list[Candidate]:
        """Record candidates as pending (before evaluation); returns them with their ids."""
        now = time.time()
        out = []
        with self._transaction() as db:
            for c in candidates:
                cur = db.execute(
                    "INSERT INTO evaluations(iteration, fidelity, x, status, cost, proposed_at) VALUES (?,?,?,?,?,?)",
                    (c.iteration, c.fidelity, json.dumps(list(c.x)), Status.PENDING.value, costs[c.fidelity], now),
                )
                out.append(Candidate(c.x, c.fidelity, int(cur.lastrowid or 0), c.iteration))
        return out

    def complete(self, observations: Iterable[Observation]) -> None:
        """Write outcomes of pending candidates (matched by id); each row is finished once."""
        now = time.time()
        with self._transaction() as db:
            for o in observations:
                if o.id is None:
                    raise StoreError("an observation without a store id cannot be recorded")
                cur = db.execute(
                    "UPDATE evaluations SET status=?, value=?, gradient=?, error=?, finished_at=?, duration=?,"
                    " attempts=attempts+1 WHERE id=? AND status=?",
                    (
                        o.status.value,
                        o.value,
                        json.dumps(list(o.gradient)) if o.gradient is not None else None,
                        o.error,
                        now,
                        o.duration,
                        o.id,
                        Status.PENDING.value,
                    ),
                )
                if cur.rowcount != 1:
                    raise StoreError(f"evaluation {o.id} is not pending (already told, or unknown)")

    def observations(self, include_pending: bool = False) -> list[Observation]:
        """Every finished evaluation in id order (and pending ones, with status PENDING, if asked)."""
        query = "SELECT id, iteration, fidelity, x, status, value, gradient, cost, error, duration FROM evaluations"
        if not include_pending:
            query += " WHERE status != 'pending'"
        rows = self._db.execute(query + " ORDER BY id").fetchall()
        return [
            Observation(
                x=tuple(json.loads(x)),
                fidelity=fid,
                value=value,
                status=Status(status),
                cost=cost,
                gradient=tuple(json.loads(grad)) if grad else None,
                error=error,
                id=ident,
                iteration=it,
                duration=duration or 0.0,
            )
            for ident, it, fid, x, status, value, grad, cost, error, duration in rows
        ]

    def pending(self) -> list[Candidate]:
        rows = self._db.execute(
            "SELECT id, iteration, fidelity, x FROM evaluations WHERE status = 'pending' ORDER BY id"
        ).fetchall()
        return [Candidate(tuple(json.loads(x)), fid, ident, it) for ident, it, fid, x in rows]

    def cost_committed(self) -> float:
        """Cost of every recorded evaluation, finished or pending."""
        return float(self._db.execute("SELECT COALESCE(SUM(cost), 0) FROM evaluations").fetchone()[0])

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0])

    def last_iteration(self) -> int:
        return int(self._db.execute("SELECT COALESCE(MAX(iteration), -1) FROM evaluations").fetchone()[0])

    # decisions and fits -------------------------------------------------------------------
    def add_decisions(self, iteration: int, decisions: Sequence[Decision]) -> None:
        now = time.time()
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO decisions(iteration, source, target, detector, use_low, rule, reason, features,"
                " created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    (
                        iteration,
                        d.source,
                        d.target,
                        d.detector,
                        int(d.use_low),
                        d.rule,
                        d.reason,
                        json.dumps({k: _json_float(float(v)) for k, v in d.features.items()}),
                        now,
                    )
                    for d in decisions
                ],
            )

    def decisions(self) -> list[DecisionRecord]:
        rows = self._db.execute(
            "SELECT iteration, source, target, detector, use_low, rule, reason, features FROM decisions ORDER BY id"
        ).fetchall()
        return [
            DecisionRecord(
                it,
                Decision(
                    use_low=bool(use),
                    features={k: (float("nan") if v is None else v) for k, v in json.loads(feats).items()},
                    rule=rule,
                    reason=reason,
                    source=src,
                    target=tgt,
                    detector=det,
                ),
            )
            for it, src, tgt, det, use, rule, reason, feats in rows
        ]

    def add_iteration(self, iteration: int, surrogate: str, fidelities: Sequence[str], info: Mapping[str, Any]) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO iterations(iteration, surrogate, fidelities, info, created_at)"
                " VALUES (?,?,?,?,?)",
                (iteration, surrogate, json.dumps(list(fidelities)), json.dumps(info, default=str), time.time()),
            )

    def iterations(self) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT iteration, surrogate, fidelities, info FROM iterations ORDER BY iteration"
        ).fetchall()
        return [
            {"iteration": it, "surrogate": s, "fidelities": json.loads(f), "info": json.loads(i)}
            for it, s, f, i in rows
        ]
