"""Fault scenarios against the real server: worker SIGKILL, API SIGKILL loops, read-only database.

    python -m bench reliability [--tiny] [--iterations 20]

Each scenario returns a dict of measured counts; the full run writes the table
of docs/reliability.md (section ``reliability``) and raw JSON.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench._common import REPO, machine_note, markdown_table, save_raw, write_section

sys.path.insert(0, str(REPO / "tests"))
from live_server import ServerProcess  # noqa: E402

FINAL = ("COMPLETED", "FAILED", "CANCELLED")
SMALL_JOB = {"problem": {"type": "partition", "numbers": [3, 1, 4, 1, 5, 9, 2, 6]}, "solver": "sa",
             "params": {"num_reads": 4, "num_sweeps": 500, "seed": 1}}


def long_job(seconds: float) -> dict:
    edges = [[i, (i * 7 + 13) % 1500] for i in range(1500) if i != (i * 7 + 13) % 1500]
    return {"problem": {"type": "maxcut", "edges": edges}, "solver": "sa",
            "params": {"num_reads": 2, "num_sweeps": 1_000_000, "time_limit": seconds, "seed": 3}}


def wait_final(http: httpx.Client, job_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = http.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in FINAL or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def worker_pids(server: ServerProcess) -> list[int]:
    """The pool's worker processes: children of the API process running multiprocessing's spawn."""
    pids = []
    for task in Path(f"/proc/{server.process.pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            if b"multiprocessing.spawn" in cmdline:
                pids.append(int(child))
    return pids


def worker_sigkill(workdir: Path) -> dict:
    """SIGKILL the workers mid-job: the job fails with a reason, the pool heals, later jobs run."""
    with ServerProcess(workdir / "worker-kill.db") as server, httpx.Client(base_url=server.url, timeout=60) as http:
        job_id = http.post("/v1/jobs", json=long_job(60)).json()["id"]
        while http.get(f"/v1/jobs/{job_id}").json()["status"] != "IN_PROGRESS":
            time.sleep(0.05)
        for pid in worker_pids(server):
            os.kill(pid, signal.SIGKILL)
        failed = wait_final(http, job_id)
        deadline = time.monotonic() + 120
        while http.get("/v1/health").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        later = [http.post("/v1/jobs", json=SMALL_JOB).json()["id"] for _ in range(4)]
        finished = [wait_final(http, j)["status"] for j in later]
        return {"killed_job_status": failed["status"], "reason": failed["error"],
                "later_jobs_completed": finished.count("COMPLETED"), "later_jobs": len(later),
                "workers_replaced": http.get("/v1/health").json()["workers"]["replaced"]}


def api_kill_loop(workdir: Path, iterations: int, seed: int = 0) -> dict:
    """Kill the API process (and its workers) mid-queue again and again; restart; count what is lost."""
    rng = random.Random(seed)
    db = workdir / "kill-loop.db"
    submitted: list[str] = []
    for _ in range(iterations):
        server = ServerProcess(db).start()
        with httpx.Client(base_url=server.url, timeout=60) as http:
            for k in range(6):
                body = long_job(2.0) if k % 3 == 0 else SMALL_JOB
                submitted.append(http.post("/v1/jobs", json=body).json()["id"])
            time.sleep(rng.uniform(0.0, 1.5))
        server.kill()
    with ServerProcess(db) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        states = [wait_final(http, job_id, timeout=300) for job_id in submitted]
    integrity = sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0]
    counts = {s: sum(j["status"] == s for j in states) for s in ("COMPLETED", "FAILED", "PENDING", "IN_PROGRESS")}
    lost = sum(j.get("id") is None for j in states)
    failed_reasons = {j["error"] for j in states if j["status"] == "FAILED"}
    return {"iterations": iterations, "jobs": len(submitted), **{k.lower(): v for k, v in counts.items()},
            "lost": lost, "integrity_check": integrity, "failed_reasons": sorted(failed_reasons)}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench reliability")
    parser.add_argument("--tiny", action="store_true", help="2 kill-loop iterations, no docs")
    parser.add_argument("--iterations", type=int, default=20)
    args = parser.parse_args(argv)
    iterations = 2 if args.tiny else args.iterations
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        results = {"worker_sigkill": worker_sigkill(workdir), "api_kill_loop": api_kill_loop(workdir, iterations)}
    print(results)
    if args.tiny:
        return
    save_raw("reliability", results)
    kill, loop = results["worker_sigkill"], results["api_kill_loop"]
    rows = [
        ["worker SIGKILL mid-job", "python -m bench reliability",
         f"job {kill['killed_job_status']} ({kill['reason']}); {kill['later_jobs_completed']}/{kill['later_jobs']} "
         f"later jobs COMPLETED; workers replaced: {kill['workers_replaced']}"],
        [f"API SIGKILL mid-queue x{loop['iterations']}", f"python -m bench reliability --iterations {iterations}",
         f"{loop['jobs']} jobs: {loop['completed']} COMPLETED, {loop['failed']} FAILED (interrupted), "
         f"{loop['pending'] + loop['in_progress']} stuck, lost {loop['lost']}; integrity_check: "
         f"{loop['integrity_check']}"],
    ]
    section = (f"Measured on {machine_note()}.\n\n" + markdown_table(["scenario", "command", "result"], rows))
    write_section("reliability", section, REPO / "docs" / "reliability.md")
