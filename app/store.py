"""SQLite persistence for jobs, their results, and stored networks/models.

WAL mode, one connection guarded by a lock. Only the API process writes;
worker processes read stored objects through read-only connections
(:mod:`app.objects`). Every state change is one committed transaction, so
a crash leaves either the old or the new state.

>>> store = Store(":memory:")
>>> job = store.create_job("solve", {"x": 1}, owner=None)
>>> store.get_job(job)["status"]
'PENDING'
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any

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
"""


class Store:
    """Jobs and stored objects in one SQLite file (``":memory:"`` for tests)."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _execute(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, args)

    def healthy(self) -> bool:
        try:
            self._execute("SELECT 1").fetchone()
            return True
        except sqlite3.Error:
            return False

    # --- jobs -------------------------------------------------------------
    def create_job(self, kind: str, request: dict, owner: str | None) -> str:
        job_id = uuid.uuid4().hex
        with self._lock:
            seq = self._db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs").fetchone()[0]
            self._db.execute(
                "INSERT INTO jobs (id, kind, status, request, owner, created_at, seq) VALUES (?, ?, 'PENDING', ?, ?, ?, ?)",
                (job_id, kind, json.dumps(request), owner, time.time(), seq),
            )
        return job_id

    def get_job(self, job_id: str, with_request: bool = False) -> dict[str, Any] | None:
        row = self._execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return None if row is None else _job_dict(row, with_request)

    def list_jobs(self, status: str | None, limit: int, offset: int) -> tuple[list[dict], int]:
        where, args = ("WHERE status = ?", (status,)) if status else ("", ())
        total = self._execute(f"SELECT COUNT(*) FROM jobs {where}", args).fetchone()[0]
        rows = self._execute(
            f"SELECT id, kind, status, error, progress, created_at, started_at, finished_at FROM jobs {where} "
            "ORDER BY seq DESC LIMIT ? OFFSET ?", (*args, limit, offset)).fetchall()
        return [_job_dict(r, False) for r in rows], total

    def claim_next(self) -> dict[str, Any] | None:
        """Atomically move the oldest PENDING job to IN_PROGRESS and return it (with request)."""
        with self._lock:
            row = self._db.execute("SELECT id FROM jobs WHERE status = 'PENDING' ORDER BY seq LIMIT 1").fetchone()
            if row is None:
                return None
            self._db.execute("UPDATE jobs SET status = 'IN_PROGRESS', started_at = ? WHERE id = ? AND status = 'PENDING'",
                             (time.time(), row["id"]))
            job = self._db.execute("SELECT * FROM jobs WHERE id = ?", (row["id"],)).fetchone()
        return _job_dict(job, True)

    def finish(self, job_id: str, status: str, result: Any = None, error: str | None = None) -> bool:
        """Set a final status unless the job is already final; returns whether it changed."""
        cursor = self._execute(
            "UPDATE jobs SET status = ?, result = ?, error = ?, finished_at = ? "
            "WHERE id = ? AND status IN ('PENDING', 'IN_PROGRESS')",
            (status, None if result is None else json.dumps(result), error, time.time(), job_id),
        )
        return cursor.rowcount == 1

    def requeue(self, job_id: str) -> None:
        """An IN_PROGRESS job that never reached a worker goes back to PENDING."""
        self._execute("UPDATE jobs SET status = 'PENDING', started_at = NULL WHERE id = ? AND status = 'IN_PROGRESS'",
                      (job_id,))

    def set_progress(self, job_id: str, progress: dict) -> None:
        self._execute("UPDATE jobs SET progress = ? WHERE id = ?", (json.dumps(progress), job_id))

    def count(self, status: str, owner: str | None = None) -> int:
        if owner is None:
            return self._execute("SELECT COUNT(*) FROM jobs WHERE status = ?", (status,)).fetchone()[0]
        return self._execute("SELECT COUNT(*) FROM jobs WHERE status = ? AND owner = ?", (status, owner)).fetchone()[0]

    def recover(self) -> int:
        """After a restart: jobs left IN_PROGRESS by a crash become FAILED with a reason."""
        cursor = self._execute(
            "UPDATE jobs SET status = 'FAILED', error = ?, finished_at = ? WHERE status = 'IN_PROGRESS'",
            ("the server stopped while this job was running; resubmit it", time.time()),
        )
        return cursor.rowcount

    # --- stored objects (Hopfield networks, predictive-coding models) --------
    def put_object(self, kind: str, meta: dict, blob: bytes, object_id: str | None = None) -> str:
        object_id = object_id or uuid.uuid4().hex
        self._execute("INSERT OR REPLACE INTO objects (id, kind, meta, blob, created_at) VALUES (?, ?, ?, ?, ?)",
                      (object_id, kind, json.dumps(meta), blob, time.time()))
        return object_id

    def update_object(self, kind: str, id: str, meta: dict, blob: bytes, version: int) -> bool:
        """Replace an object only if it still exists at ``version`` (optimistic concurrency)."""
        with self._lock:
            row = self._db.execute("SELECT meta FROM objects WHERE id = ? AND kind = ?", (id, kind)).fetchone()
            if row is None or json.loads(row["meta"]).get("version", 0) != version:
                return False
            self._db.execute("UPDATE objects SET meta = ?, blob = ? WHERE id = ?", (json.dumps(meta), blob, id))
        return True

    def get_object(self, kind: str, object_id: str) -> tuple[dict, bytes] | None:
        row = self._execute("SELECT meta, blob FROM objects WHERE id = ? AND kind = ?", (object_id, kind)).fetchone()
        return None if row is None else (json.loads(row["meta"]), bytes(row["blob"]))

    def delete_object(self, kind: str, object_id: str) -> bool:
        return self._execute("DELETE FROM objects WHERE id = ? AND kind = ?", (object_id, kind)).rowcount == 1


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
