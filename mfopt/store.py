"""The run store: one SQLite file per run, the source of truth for a study.

Every candidate is written (status ``pending``) before it is evaluated, every outcome as soon as
it arrives, every gate decision and every model fit before the next step. A killed run is
continued from the file alone: completed evaluations are kept exactly once and pending ones are
run again. WAL journaling with ``synchronous=NORMAL`` makes each commit survive a killed process.

A run's files are ``run.sqlite`` plus, while it is open, ``run.sqlite-wal`` and ``run.sqlite-shm``
(copy all of them, or run ``mfopt report`` first, which folds the WAL back into ``run.sqlite``),
and ``run.lock`` (one run, one writer: see :class:`RunLock`). A store is created under a temporary
name and renamed into place once its tables and meta are written, so a killed creation never
leaves a half-made ``run.sqlite``. A store that is not readable is a :class:`StoreCorruptError`,
a full disk a :class:`StoreError` saying so, each naming the file and what to do.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from mfopt.data import Candidate, Decision, Observation, Status
from mfopt.errors import ConfigError, StoreCorruptError, StoreError, StoreLockedError

SCHEMA_VERSION = 1
STORE_FILE = "run.sqlite"
LOCK_FILE = "run.lock"
#: the PNGs ``mfopt report --plot`` writes into the run directory (:data:`mfopt.plots.FILES`)
PLOT_FILES = ("best_vs_cost.png", "cost_per_fidelity.png", "gate.png")
#: every file name a run directory may hold that the run store owns (``--overwrite`` deletes these only)
OWNED_FILES = (STORE_FILE, f"{STORE_FILE}-wal", f"{STORE_FILE}-shm", f"{STORE_FILE}-journal", LOCK_FILE, *PLOT_FILES)
_TABLES = {"meta", "evaluations", "decisions", "iterations"}
_PARTIAL = f".{STORE_FILE}.creating-"  # + pid: a store being created (renamed into place when complete)


def _owned(name: str) -> bool:
    return name in OWNED_FILES or name.startswith(_PARTIAL)


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
    attempts INTEGER NOT NULL DEFAULT 0,
    params TEXT
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


class RunLock:
    """An exclusive lock on a run directory: one run, one writer.

    A POSIX record lock (``fcntl.lockf``) on ``RUN_DIR/run.lock``, which holds ``pid host`` of the
    holder so that a refused process can say who holds it. ``lockf`` rather than ``flock``: its
    locks are not inherited by forked children (a process-pool worker that outlives a killed
    ``mfopt`` would otherwise keep the run locked), and the kernel drops them when the holder
    dies, so a killed run never needs cleaning up. Within one process the lock is re-entrant
    (a study and a reader in the same process share it); it is released when the last holder
    releases it. The lock file itself is never deleted (deleting it would let two processes
    lock two different files).
    """

    _held: ClassVar[dict[str, tuple[int, int]]] = {}  # lock path -> (file descriptor, holders in this process)
    _guard = threading.Lock()

    def __init__(self, run_dir: str | Path) -> None:
        self.path = Path(run_dir) / LOCK_FILE
        self._key = os.path.realpath(self.path)
        self._acquired = False

    def acquire(self) -> RunLock:
        """Take the lock or raise :class:`StoreLockedError` naming the process that holds it."""
        with self._guard:
            if self._key in self._held:
                fd, count = self._held[self._key]
                self._held[self._key] = (fd, count + 1)
                self._acquired = True
                return self
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise ConfigError(f"{self.path.parent}: cannot use it as a run directory ({exc.strerror})") from exc
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = os.pread(fd, 200, 0).decode("utf-8", "replace").split()
                os.close(fd)
                who = f"process {holder[0]} on {holder[1]}" if len(holder) >= 2 else "another process"
                raise StoreLockedError(
                    f"{self.path.parent} is in use by {who}: one run has one writer; "
                    "wait for it to finish (or stop it), then run again"
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()} {socket.gethostname()}\n".encode(), 0)
            self._held[self._key] = (fd, 1)
            self._acquired = True
            return self

    def release(self) -> None:
        """Give the lock back (once per :meth:`acquire`); the last holder in the process unlocks."""
        with self._guard:
            if not self._acquired or self._key not in self._held:
                return
            self._acquired = False
            fd, count = self._held[self._key]
            if count > 1:
                self._held[self._key] = (fd, count - 1)
                return
            del self._held[self._key]
            os.ftruncate(fd, 0)
            os.close(fd)  # closing the descriptor drops the lockf lock

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def remove_run(run_dir: str | Path) -> list[Path]:
    """Delete what a run store owns in ``run_dir`` (``--overwrite``) and return what was deleted.

    Refuses with a :class:`ConfigError` (nothing deleted) when the directory holds anything the
    store does not own (:data:`OWNED_FILES`). The directory itself is kept, as is ``run.lock``
    (the caller holds it while it overwrites). The caller should hold :class:`RunLock`.
    """
    run_dir = Path(run_dir).expanduser()
    if not run_dir.exists():
        return []
    if not run_dir.is_dir():
        raise ConfigError(f"--overwrite: {run_dir} is not a directory")
    present = sorted(run_dir.iterdir())
    foreign = [p.name for p in present if not _owned(p.name)]
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise ConfigError(
            f"--overwrite: {run_dir} holds files that are not the run store's ({shown}); "
            "nothing was deleted: move them or choose another --run-dir"
        )
    removed = []
    for path in present:  # every one is owned (checked above)
        if path.name != LOCK_FILE and path.is_file():
            path.unlink()
            removed.append(path)
    return removed


def _store_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """A SQLite failure as a one-line error naming the store and what to do."""
    message = str(exc)
    if "full" in message:  # SQLITE_FULL: "database or disk is full"
        return StoreError(
            f"{path}: the disk is full ({message}); free some space, then continue with `mfopt optimize --resume`"
        )
    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
        return StoreCorruptError(
            f"{path} is corrupted ({message}): it cannot be resumed; keep a copy if you need it, "
            "then start again with --overwrite or another --run-dir"
        )
    return StoreError(f"{path}: {message}")


class RunStore:
    """A run's SQLite file. Use :meth:`create` for a new run and :meth:`open` for an existing one."""

    def __init__(self, path: Path, connection: sqlite3.Connection, lock: RunLock | None = None) -> None:
        self.path = path
        self._db = connection
        self._lock = lock

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
        """Create ``run_dir/run.sqlite`` and hold the run's lock; refuses when a run is already there.

        The tables and meta are written under a temporary name that is renamed into place, so a
        killed creation leaves no ``run.sqlite``.
        """
        run_dir = Path(run_dir).expanduser()
        path = run_dir / STORE_FILE
        lock = RunLock(run_dir).acquire()
        try:
            if path.exists():
                raise StoreError(f"{run_dir} already holds a run")
            partial = run_dir / f"{_PARTIAL}{os.getpid()}"
            partial.unlink(missing_ok=True)
            try:
                db = sqlite3.connect(str(partial), isolation_level=None)
                try:
                    db.executescript(_SCHEMA)
                    db.executemany(
                        "INSERT INTO meta(key, value) VALUES (?, ?)",
                        [(k, json.dumps(v)) for k, v in cls._initial_meta(meta).items()],
                    )
                finally:
                    db.close()
                os.replace(partial, path)
            except sqlite3.Error as exc:
                partial.unlink(missing_ok=True)
                raise _store_error(path, exc) from exc
            return cls(path, cls._connect(path), lock)
        except BaseException:
            lock.release()
            raise

    @staticmethod
    def _initial_meta(meta: Mapping[str, Any]) -> dict[str, Any]:
        return {"schema_version": SCHEMA_VERSION, "created_at": time.time(), "status": "created", **meta}

    @classmethod
    def memory(cls, meta: Mapping[str, Any]) -> RunStore:
        """A store that lives in memory only (Python ask/tell without a run directory)."""
        store = cls(Path(":memory:"), sqlite3.connect(":memory:", isolation_level=None))
        store._db.executescript(_SCHEMA)
        store.set_meta(cls._initial_meta(meta))
        return store

    @classmethod
    def open(cls, run_dir: str | Path, *, lock: bool = True) -> RunStore:
        """Open an existing store. ``lock``: hold the run's lock (a writer; raises
        :class:`StoreLockedError` while another process runs it); readers pass ``lock=False``.
        A store that is not a complete mfopt store raises :class:`StoreCorruptError`."""
        run_dir = Path(run_dir).expanduser()
        path = run_dir / STORE_FILE
        if not path.exists():
            raise StoreError(f"{run_dir} holds no run (no {STORE_FILE})")
        held = RunLock(run_dir).acquire() if lock else None
        db: sqlite3.Connection | None = None
        try:
            db = cls._connect(path)
            store = cls(path, db, held)
            store._check_complete()
            if held is not None:  # a writer; readers read old stores as they are
                store._add_params_column()
            return store
        except BaseException as exc:
            if db is not None:
                db.close()
            if held is not None:
                held.release()
            if isinstance(exc, sqlite3.Error):
                raise _store_error(path, exc) from exc
            raise

    def _check_complete(self) -> None:
        """Raise :class:`StoreCorruptError` unless the file has mfopt's tables, meta and schema version."""
        check = self._db.execute("PRAGMA quick_check").fetchone()
        if check is None or check[0] != "ok":
            raise sqlite3.DatabaseError(f"integrity check failed: {check[0] if check else 'no answer'}")
        tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = sorted(_TABLES - tables)
        meta = self.meta() if "meta" in tables else {}
        if missing or "schema_version" not in meta:
            what = f"tables {missing} are missing" if missing else "its meta data is missing"
            raise StoreCorruptError(
                f"{self.path} is not a complete run store ({what}; its creation was interrupted, or it is "
                "another program's file): start again with --overwrite or another --run-dir"
            )
        version = meta["schema_version"]
        if version != SCHEMA_VERSION:
            raise StoreError(f"{self.path}: run store schema {version!r}, this mfopt reads {SCHEMA_VERSION}")

    def _has_params_column(self) -> bool:
        return any(row[1] == "params" for row in self._db.execute("PRAGMA table_info(evaluations)"))

    def _add_params_column(self) -> None:
        """A store written before named parameters has no ``params`` column: add it (NULL = unknown)."""
        if not self._has_params_column():
            self._db.execute("ALTER TABLE evaluations ADD COLUMN params TEXT")

    @staticmethod
    def exists(run_dir: str | Path) -> bool:
        return (Path(run_dir).expanduser() / STORE_FILE).exists()

    def close(self) -> None:
        self._db.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; a SQLite failure (disk full, corruption) becomes a one-line error."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc) from exc

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
                    "INSERT INTO evaluations(iteration, fidelity, x, status, cost, proposed_at, params)"
                    " VALUES (?,?,?,?,?,?,?)",
                    (
                        c.iteration,
                        c.fidelity,
                        json.dumps(list(c.x)),
                        Status.PENDING.value,
                        costs[c.fidelity],
                        now,
                        json.dumps(dict(c.params)) if c.params is not None else None,
                    ),
                )
                out.append(Candidate(c.x, c.fidelity, int(cur.lastrowid or 0), c.iteration, c.params))
        return out

    def complete(self, observations: Iterable[Observation]) -> None:
        """Write outcomes of pending candidates (matched by id); each row is finished once."""
        now = time.time()
        with self._transaction() as db:
            for o in observations:
                if o.id is None:
                    raise StoreError("an observation without a store id cannot be recorded")
                cur = db.execute(
                    "UPDATE evaluations SET status=?, value=?, gradient=?, error=?, finished_at=?, duration=?"
                    " WHERE id=? AND status=?",
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
        params = "params" if self._has_params_column() else "NULL"  # a reader of an older store
        columns = f"id, iteration, fidelity, x, status, value, gradient, cost, error, duration, {params}"
        query = f"SELECT {columns} FROM evaluations"
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
                params=json.loads(params) if params else None,
            )
            for ident, it, fid, x, status, value, grad, cost, error, duration, params in rows
        ]

    def pending(self) -> list[Candidate]:
        return [c for c, _ in self.pending_attempts()]

    def start(self, ids: Sequence[int]) -> None:
        """Count one more attempt of each pending evaluation in ``ids`` (handed to an evaluator).
        A row still pending on resume was in flight at that many crashes of its evaluator."""
        with self._transaction() as db:
            db.executemany(
                "UPDATE evaluations SET attempts = attempts + 1 WHERE id = ? AND status = 'pending'",
                [(i,) for i in ids],
            )

    def pending_attempts(self) -> list[tuple[Candidate, int]]:
        """Pending evaluations in id order, each with its number of attempts so far."""
        rows = self._db.execute(
            "SELECT id, iteration, fidelity, x, attempts, params FROM evaluations WHERE status = 'pending' ORDER BY id"
        ).fetchall()
        return [
            (Candidate(tuple(json.loads(x)), fid, ident, it, json.loads(params) if params else None), n)
            for ident, it, fid, x, n, params in rows
        ]

    def records(self) -> list[dict[str, Any]]:
        """Every evaluation row (pending ones too) in id order, as a dict of its columns with ``x``,
        ``gradient`` and ``params`` decoded from JSON (``params`` is None in stores older than it)."""
        cursor = self._db.execute("SELECT * FROM evaluations ORDER BY id")
        names = [d[0] for d in cursor.description]
        out = []
        for row in cursor.fetchall():
            record = dict(zip(names, row, strict=True))
            for key in ("x", "gradient", "params"):
                record[key] = json.loads(record[key]) if record.get(key) else None
            out.append(record)
        return out

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
