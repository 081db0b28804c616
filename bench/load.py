"""Load and soak: a bounded asyncio/httpx load generator against the real server on loopback.

    python -m bench load [--tiny] [--scenario solve|mixed] [--requests 10000] [--duration 600] [--concurrency 32]

``solve``: small synchronous solves (a 20-node Max-Cut, 100 sweeps) until ``--requests`` are done.
``mixed``: for ``--duration`` seconds, sync solves, job submissions, job polls and Hopfield recalls.
Reports throughput, p50/p99 latency per request kind, errors, and the server's memory (API process and
workers, RSS) sampled during the run. Traffic goes to 127.0.0.1 only and every loop is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench._common import REPO, machine_note, markdown_table, save_raw, write_section

sys.path.insert(0, str(REPO / "tests"))
from live_server import ServerProcess  # noqa: E402

EDGES = [[i, j] for i in range(20) for j in range(i + 1, 20) if (i * 7 + j * 3) % 5 == 0]
SOLVE = {"problem": {"type": "maxcut", "edges": EDGES}, "solver": "sa",
         "params": {"num_reads": 4, "num_sweeps": 100, "seed": 1}, "return_samples": 1}
JOB = {"problem": {"type": "partition", "numbers": [3, 1, 4, 1, 5, 9, 2, 6, 5, 3]}, "solver": "sa",
       "params": {"num_reads": 4, "num_sweeps": 200}}


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants, MiB."""
    total = 0.0
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


class Recorder:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}
        self.throttled = 0

    def add(self, kind: str, seconds: float, status: int | str) -> None:
        """Record one request; ``status`` is the HTTP status or, for a transport failure, the exception's name."""
        if status == 429:
            self.throttled += 1
        elif isinstance(status, str) or status >= 400:
            self.errors[f"{kind} {status}"] = self.errors.get(f"{kind} {status}", 0) + 1
        self.latencies.setdefault(kind, []).append(seconds)

    def summary(self, elapsed: float) -> dict:
        count = sum(len(v) for v in self.latencies.values())
        kinds = {}
        for kind, values in self.latencies.items():
            ordered = sorted(values)
            kinds[kind] = {"count": len(values), "p50_ms": 1000 * statistics.median(ordered),
                           "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]}
        return {"requests": count, "seconds": elapsed, "throughput": count / elapsed, "kinds": kinds,
                "errors": sum(self.errors.values()), "error_detail": self.errors, "throttled": self.throttled}


async def _timed(client: httpx.AsyncClient, recorder: Recorder, kind: str, method: str, url: str, **kw):
    start = time.perf_counter()
    try:
        response = await client.request(method, url, **kw)
        status = response.status_code
    except httpx.HTTPError as error:  # named in the report: a connection failure is not an HTTP status
        response, status = None, type(error).__name__
    recorder.add(kind, time.perf_counter() - start, status)
    return response


async def run_load(url: str, scenario: str, requests: int, duration: float, concurrency: int, server_pid: int | None):
    recorder = Recorder()
    memory: list[tuple[float, float]] = []
    job_ids: list[str] = []
    network_id = None
    start = time.perf_counter()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        if scenario == "mixed":
            created = await client.post("/v1/hopfield/networks",
                                        json={"patterns": [[1 if (i * k) % 3 else -1 for i in range(100)]
                                                           for k in range(1, 6)]})
            network_id = created.json().get("id") if created.status_code == 201 else None
        issued = 0

        async def client_loop(index: int) -> None:
            nonlocal issued
            rng = random.Random(index)
            while True:
                if scenario == "solve":
                    if issued >= requests:
                        return
                    issued += 1
                    await _timed(client, recorder, "solve", "POST", "/v1/solve", json=SOLVE)
                    continue
                if time.perf_counter() - start > duration:
                    return
                roll = rng.random()
                if roll < 0.55:
                    await _timed(client, recorder, "solve", "POST", "/v1/solve", json=SOLVE)
                elif roll < 0.65:
                    response = await _timed(client, recorder, "submit", "POST", "/v1/jobs", json=JOB)
                    if response is not None and response.status_code == 202:
                        job_ids.append(response.json()["id"])
                elif roll < 0.85 and job_ids:
                    await _timed(client, recorder, "poll", "GET", f"/v1/jobs/{rng.choice(job_ids)}")
                elif network_id:
                    await _timed(client, recorder, "recall", "POST", f"/v1/hopfield/networks/{network_id}/recall",
                                 json={"pattern_index": rng.randrange(5), "corruption": 0.1, "seed": index})
                else:
                    await _timed(client, recorder, "health", "GET", "/v1/health")

        async def sample_memory() -> None:
            while server_pid and time.perf_counter() - start < max(duration, 3600):
                memory.append((time.perf_counter() - start, rss_mib(server_pid)))
                await asyncio.sleep(5)

        sampler = asyncio.create_task(sample_memory())
        await asyncio.gather(*(client_loop(i) for i in range(concurrency)))
        sampler.cancel()
        if server_pid:
            memory.append((time.perf_counter() - start, rss_mib(server_pid)))
    result = recorder.summary(time.perf_counter() - start)
    result["memory_mib"] = memory
    result["jobs_submitted"] = len(job_ids)
    return result


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench load")
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--scenario", choices=("solve", "mixed"), default="solve")
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=600.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--url", help="an already running server (default: start one); prints, writes no docs")
    args = parser.parse_args(argv)
    if args.tiny:
        args.requests, args.duration, args.concurrency = 200, 5.0, 8
    with tempfile.TemporaryDirectory() as tmp:
        server = None if args.url else ServerProcess(Path(tmp) / "load.db").start()
        url = args.url or server.url
        try:
            result = asyncio.run(run_load(url, args.scenario, args.requests, args.duration, args.concurrency,
                                          server.process.pid if server else None))
        finally:
            if server:
                server.stop()
    summary = {k: v for k, v in result.items() if k != "memory_mib"}
    print(summary)
    if args.tiny or args.url:  # the published tables need the server's memory, measured on a server started here
        return
    save_raw(f"load-{args.scenario}", result)
    memory = result["memory_mib"]
    rows = [[kind, s["count"], s["p50_ms"], s["p99_ms"]] for kind, s in sorted(result["kinds"].items())]
    command = (f"python -m bench load --scenario {args.scenario} --concurrency {args.concurrency} "
               + (f"--requests {args.requests}" if args.scenario == "solve" else f"--duration {args.duration:g}"))
    text = (f"`{command}` ({machine_note()}; server with 2 worker processes on the same 2 cores as the load "
            f"generator)\n\n" + markdown_table(["request", "count", "p50 ms", "p99 ms"], rows)
            + f"\n\nThroughput {result['throughput']:.0f} requests/s over {result['seconds']:.0f} s; errors: "
            f"{result['errors']}; 429s: {result['throttled']}. Server memory (API + workers, RSS): "
            f"{memory[0][1]:.0f} MiB at start, {max(m for _, m in memory):.0f} MiB peak, {memory[-1][1]:.0f} MiB "
            f"at the end.")
    if args.scenario == "solve":
        write_section("load", text)
    else:
        write_section("soak", text, REPO / "docs" / "reliability.md")
