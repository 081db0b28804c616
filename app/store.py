"""SQLite persistence for jobs, their results, and stored networks/models.

WAL mode, one connection guarded by a lock. Only the API process writes;
worker processes read stored objects through read-only connections
(:mod:`app.objects`). Every state change is one committed transaction, so
a crash leaves either the old or the new state.

A database that cannot be written (a read-only file or mount, a full disk)
never stops the server from starting: the start-up writes (schema, marking
interrupted jobs FAILED) are retried until they succeed, reads are served
meanwhile, every write raises ``sqlite3.Error`` (answered 503), no job is
claimed before the recovery is written, and :meth:`Store.health` names the
problem until a write goes through again.

>>> store = Store(":memory:")
>>> job = store.create_job("solve", {"x": 1}, owner=None)
>>> store.get_job(job)["status"]
'PENDING'
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any

log = logging.getLogger("landscape.store")

STATUSES = ("PENDING", "IN_PROGRESS", "COMPLETED", "FAILED", "CANCELLED")
FINAL = ("COMPLETED", "FAILED", "CANCELLED")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    request TEXT NOT NULL,
    result TEXT,
    error TEXT,
    progress TEXT,
    owner TEXT,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status, seq);
CREATE TABLE IF NOT EXISTS objects (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    meta TEXT NOT NULL,
    blob BLOB NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT
);
"""

#: the reason recorded on jobs a restart found IN_PROGRESS
INTERRUPTED = "the server stopped while this job was running; resubmit it"
#: seconds between attempts to write to a database that refused a write
RETRY_SECONDS = 1.0


class Store:
    """Jobs and stored objects in one SQLite file (``":memory:"`` for tests)."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        #: why the database cannot be written, or None
        self.write_error: str | None = None
        self._schema_ready = False
        self._recovered = False
        self._reopen = False
        self._next_attempt = 0.0
        #: jobs the start-up recovery marked FAILED (None until it has run)
        self.recovered_jobs: int | None = None
        self._start_up(recover=False)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    # --- connection, start-up and write failures -----------------------------------
    def _connect(self) -> sqlite3.Connection:
        """The connection (opened, or reopened after a read-only failure); caller holds the lock."""
        if self._db is not None and self._reopen and self.path != ":memory:":
            self._db.close()
            self._db = None
        if self._db is None:
            if self.path != ":memory:":
                try:
                    Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                except OSError as err:
                    raise sqlite3.OperationalError(f"cannot create the database's directory: {err}") from None
            db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA synchronous=NORMAL")  # per connection
            try:
                db.execute("PRAGMA journal_mode=WAL")  # persistent; needs a write the first time
            except sqlite3.Error as err:
                log.warning("cannot switch %s to WAL mode yet: %s", self.path, err)
            self._db, self._reopen = db, False
        return self._db

    def _start_up(self, recover: bool) -> bool:
        """Schema (and, with ``recover``, the recovery of interrupted jobs); False while the database refuses."""
        try:
            with self._lock:
                db = self._connect()
                if not self._schema_ready:
                    db.executescript(_SCHEMA)
                    self._schema_ready = True
                if recover and not self._recovered:
                    cursor = db.execute(
                        "UPDATE jobs SET status = 'FAILED', error = ?, finished_at = ? WHERE status = 'IN_PROGRESS'",
                        (INTERRUPTED, time.time()))
                    self.recovered_jobs, self._recovered = cursor.rowcount, True
                self.write_error = None
            return True
        except sqlite3.Error as err:
            self._refused(err)
            return False

    def _refused(self, err: Exception) -> None:
        """Record a refused write; a read-only connection is reopened on the next attempt (the file may
        have become writable: SQLite opens a file it cannot write read-only and stays so)."""
        message = str(err)
        if self.write_error != message:
            log.error("the database %s refused a write: %s", self.path, message)
        self.write_error = message
        self._reopen = self._reopen or "readonly" in message
        self._next_attempt = time.monotonic() + RETRY_SECONDS

    def start_up(self) -> bool:
        """Create the schema and mark jobs a crash left IN_PROGRESS as FAILED; never raises.

        False (with :attr:`write_error`) when the database cannot be written; the server then starts
        anyway and :meth:`ready_for_jobs` retries.
        """
        return self._start_up(recover=True)

    def ready_for_jobs(self) -> bool:
        """Whether jobs may be claimed: only after the start-up recovery is written (retried at most
        once a second), so a late recovery can never fail a job this process started."""
        if self._recovered:
            return True
        if time.monotonic() < self._next_attempt:
            return False
        return self.start_up()

    def health(self) -> tuple[bool, str | None]:
        """``(ok, problem)``: reads work, start-up is written, and the last write succeeded.

        After a refused write, a probe write (one row of ``meta``) is tried at most once a second, so
        health turns ok by itself once the disk has room or the file is writable again.
        """
        try:
            self._execute("SELECT COUNT(*) FROM jobs").fetchone()
        except sqlite3.Error as err:
            return False, f"the job database cannot be read: {err}"
        if not self.ready_for_jobs():
            return False, describe(self.write_error)
        if self.write_error is not None and time.monotonic() >= self._next_attempt:
            try:
                self._write("INSERT OR REPLACE INTO meta (key, value) VALUES ('write_probe', ?)", (str(time.time()),))
            except sqlite3.Error:
                pass
        if self.write_error is not None:
            return False, describe(self.write_error)
        return True, None

    def _execute(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._connect().execute(sql, args)

    def _write(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        """One committed write; a refusal is recorded (for health) and raised (for a 503)."""
        try:
            with self._lock:
                cursor = self._connect().execute(sql, args)
        except sqlite3.Error as err:
            self._refused(err)
            raise
        self.write_error = None
        return cursor

    # --- jobs -------------------------------------------------------------
    def create_job(self, kind: str, request: dict, owner: str | None) -> str:
        job_id = uuid.uuid4().hex
        # one statement, so the sequence number and the row are one atomic write
        self._write(
            "INSERT INTO jobs (id, kind, status, request, owner, created_at, seq) "
            "VALUES (?, ?, 'PENDING', ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs))",
            (job_id, kind, json.dumps(request), owner, time.time()),
        )
        return job_id

    def get_job(self, job_id: str, with_request: bool = False, owner: str | None = None) -> dict[str, Any] | None:
        """The job, or None; with ``owner``, None also for a job of another owner."""
        sql, args = "SELECT * FROM jobs WHERE id = ?", (job_id,)
        if owner is not None:
            sql, args = sql + " AND owner = ?", (job_id, owner)
        row = self._execute(sql, args).fetchone()
        return None if row is None else _job_dict(row, with_request)

    def list_jobs(self, status: str | None, limit: int, offset: int,
                  owner: str | None = None) -> tuple[list[dict], int]:
        """Jobs newest first (``status`` and ``owner`` filter when given) and their total count."""
        clauses, args = [], []
        if status:
            clauses.append("status = ?")
            args.append(status)
        if owner is not None:
            clauses.append("owner = ?")
            args.append(owner)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        total = self._execute(f"SELECT COUNT(*) FROM jobs {where}", tuple(args)).fetchone()[0]
        rows = self._execute(
            f"SELECT id, kind, status, error, progress, created_at, started_at, finished_at FROM jobs {where} "
            "ORDER BY seq DESC LIMIT ? OFFSET ?", (*args, limit, offset)).fetchall()
        return [_job_dict(r, False) for r in rows], total

    def claim_next(self) -> dict[str, Any] | None:
        """Atomically move the oldest PENDING job to IN_PROGRESS and return it (with request)."""
        try:
            with self._lock:
                db = self._connect()
                row = db.execute("SELECT id FROM jobs WHERE status = 'PENDING' ORDER BY seq LIMIT 1").fetchone()
                if row is None:
                    return None
                db.execute("UPDATE jobs SET status = 'IN_PROGRESS', started_at = ? WHERE id = ? AND status = 'PENDING'",
                           (time.time(), row["id"]))
                job = db.execute("SELECT * FROM jobs WHERE id = ?", (row["id"],)).fetchone()
        except sqlite3.Error as err:
            self._refused(err)
            raise
        self.write_error = None
        return _job_dict(job, True)

    def finish(self, job_id: str, status: str, result: Any = None, error: str | None = None) -> bool:
        """Set a final status unless the job is already final; returns whether it changed."""
        cursor = self._write(
            "UPDATE jobs SET status = ?, result = ?, error = ?, finished_at = ? "
            "WHERE id = ? AND status IN ('PENDING', 'IN_PROGRESS')",
            (status, None if result is None else json.dumps(result), error, time.time(), job_id),
        )
        return cursor.rowcount == 1

    def requeue(self, job_id: str) -> None:
        """An IN_PROGRESS job that never reached a worker goes back to PENDING."""
        self._write("UPDATE jobs SET status = 'PENDING', started_at = NULL WHERE id = ? AND status = 'IN_PROGRESS'",
                    (job_id,))

    def set_progress(self, job_id: str, progress: dict) -> None:
        self._write("UPDATE jobs SET progress = ? WHERE id = ?", (json.dumps(progress), job_id))

    def count(self, status: str, owner: str | None = None) -> int:
        if owner is None:
            return self._execute("SELECT COUNT(*) FROM jobs WHERE status = ?", (status,)).fetchone()[0]
        return self._execute("SELECT COUNT(*) FROM jobs WHERE status = ? AND owner = ?", (status, owner)).fetchone()[0]

    # --- stored objects (Hopfield networks, predictive-coding models) --------
    def put_object(self, kind: str, meta: dict, blob: bytes, object_id: str | None = None) -> str:
        object_id = object_id or uuid.uuid4().hex
        self._write("INSERT OR REPLACE INTO objects (id, kind, meta, blob, created_at) VALUES (?, ?, ?, ?, ?)",
                    (object_id, kind, json.dumps(meta), blob, time.time()))
        return object_id

    def update_object(self, kind: str, id: str, meta: dict, blob: bytes, version: int) -> bool:
        """Replace an object only if it still exists at ``version`` (optimistic concurrency)."""
        try:
            with self._lock:
                db = self._connect()
                row = db.execute("SELECT meta FROM objects WHERE id = ? AND kind = ?", (id, kind)).fetchone()
                if row is None or json.loads(row["meta"]).get("version", 0) != version:
                    return False
                db.execute("UPDATE objects SET meta = ?, blob = ? WHERE id = ?", (json.dumps(meta), blob, id))
        except sqlite3.Error as err:
            self._refused(err)
            raise
        self.write_error = None
        return True

    def get_object(self, kind: str, object_id: str) -> tuple[dict, bytes] | None:
        row = self._execute("SELECT meta, blob FROM objects WHERE id = ? AND kind = ?", (object_id, kind)).fetchone()
        return None if row is None else (json.loads(row["meta"]), bytes(row["blob"]))

    def delete_object(self, kind: str, object_id: str) -> bool:
        return self._write("DELETE FROM objects WHERE id = ? AND kind = ?", (object_id, kind)).rowcount == 1


def describe(error: str | None) -> str:
    """A client-facing sentence for a refused write.

    >>> describe("attempt to write a readonly database")
    'the job database is read-only (attempt to write a readonly database); reads are still served'
    """
    if error is None:
        return "the job database is unavailable"
    if "readonly" in error:
        return f"the job database is read-only ({error}); reads are still served"
    if "full" in error:
        return f"the job database's disk is full ({error}); reads are still served"
    return f"the job database is unavailable ({error})"


def _job_dict(row: sqlite3.Row, with_request: bool) -> dict[str, Any]:
    keys = row.keys()
    job = {
        "id": row["id"], "kind": row["kind"], "status": row["status"],
        "created_at": row["created_at"], "started_at": row["started_at"], "finished_at": row["finished_at"],
        "error": row["error"],
        "progress": json.loads(row["progress"]) if row["progress"] else None,
    }
    if "result" in keys:
        job["result"] = json.loads(row["result"]) if row["result"] else None
    if with_request:
        job["request"] = json.loads(row["request"])
    return job
