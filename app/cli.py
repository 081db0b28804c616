"""The ``landscape`` command: ``serve`` the API, or ``solve`` a problem locally.

    landscape serve --host 127.0.0.1 --port 8000
    landscape solve maxcut examples/petersen.json --solver sa --param num_reads=16
    landscape solve maxcut tests/data/G1.txt --param time_limit=2 --json
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from pathlib import Path

import typer

app = typer.Typer(add_completion=False, help="Landscape: energy minimisation as a service.")

KINDS = ("maxcut", "partition", "tsp", "qubo", "ising")


@app.command()
def serve(host: str = typer.Option(None, help="bind address (default LANDSCAPE_HOST or 127.0.0.1)"),
          port: int = typer.Option(None, help="port (default LANDSCAPE_PORT or 8000)"),
          workers: int = typer.Option(None, help="worker processes (default LANDSCAPE_WORKERS)")) -> None:
    """Run the HTTP service (SQLite at LANDSCAPE_DB, local worker processes)."""
    import uvicorn

    from app.config import Settings
    from app.main import create_app

    overrides = {k: v for k, v in {"host": host, "port": port, "workers": workers}.items() if v is not None}
    settings = Settings(**overrides)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    typer.echo(f"Landscape on http://{settings.host}:{settings.port} (docs at /docs, database {settings.db})")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")


def _read_problem(kind: str, source: str) -> dict:
    """A wire-format problem from a JSON file/string or a native file (G-set, TSPLIB, COO, Beasley)."""
    path = Path(source)
    text = path.read_text() if path.is_file() else source
    stripped = text.lstrip()
    if stripped.startswith("{") or stripped.startswith("["):
        data = json.loads(text)
        if isinstance(data, list):
            key = {"maxcut": "edges", "partition": "numbers", "tsp": "coordinates"}.get(kind)
            if key is None:
                raise typer.BadParameter(f"a JSON list is not a {kind} problem")
            data = {key: data}
        return {"type": kind, **{k: v for k, v in data.items() if k != "type"}}
    native = {"maxcut": "gset", "tsp": "tsplib", "qubo": "coo", "ising": "coo"}.get(kind)
    if native is None:
        raise typer.BadParameter(f"give a {kind} problem as JSON")
    if kind == "qubo" and path.suffix == ".sparse":
        from problems import QuboProblem

        return {"type": "qubo", "bqm": QuboProblem.from_beasley(text).to_bqm().to_serializable()}
    return {"type": kind, native: text}


def _parse_param(item: str):
    name, sep, value = item.partition("=")
    if not sep:
        raise typer.BadParameter(f"--param takes name=value, got {item!r}")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value


@app.command()
def solve(kind: str = typer.Argument(..., help=f"one of {', '.join(KINDS)}"),
          source: str = typer.Argument(..., help="a file (JSON, G-set, TSPLIB, COO, Beasley .sparse) or inline JSON"),
          solver: str = typer.Option("auto", help="auto, sa, sqa, statevector, exact, tour"),
          param: list[str] = typer.Option([], "--param", "-p", help="solver parameter name=value (repeatable)"),
          samples: int = typer.Option(5, help="best samples to keep in --json output"),
          as_json: bool = typer.Option(False, "--json", help="print the full result as JSON")) -> None:
    """Solve a problem on this machine, without a server."""
    from app.errors import RequestError
    from app.pipeline import solve as run

    if kind not in KINDS:
        raise typer.BadParameter(f"kind must be one of {', '.join(KINDS)}")
    problem = _read_problem(kind, source)
    params = dict(_parse_param(p) for p in param)
    done = threading.Event()
    if not as_json and sys.stderr.isatty():
        threading.Thread(target=_spinner, args=(done,), daemon=True).start()
    try:
        result = run(problem, solver, params, samples)
    except RequestError as err:
        done.set()
        typer.echo(f"error: {err.field}: {err.message}", err=True)
        raise typer.Exit(2) from None
    done.set()
    if as_json:
        typer.echo(json.dumps(result))
        return
    typer.echo(_summary(kind, result))


def _spinner(done: threading.Event) -> None:
    start = time.perf_counter()
    while not done.wait(0.2):
        sys.stderr.write(f"\rsolving... {time.perf_counter() - start:5.1f} s")
        sys.stderr.flush()
    sys.stderr.write("\r" + " " * 24 + "\r")


def _summary(kind: str, result: dict) -> str:
    answer, info = result["answer"], result["info"]
    lines = [f"solver: {result['solver']}   feasible: {result['feasible']}   energy: {result['energy']:g}"]
    if kind == "maxcut":
        lines.append(f"cut: {answer['cut']:g}   sides: {len(answer['sides'][0])} / {len(answer['sides'][1])} vertices")
    elif kind == "partition":
        lines.append(f"difference: {answer['difference']}   subsets: {answer['subsets'][0]} | {answer['subsets'][1]}")
    elif kind == "tsp":
        lines.append(f"length: {answer['length']}   tour: {answer['tour']}")
    else:
        lines.append(f"energy: {answer['energy']:g}   sample: {answer['sample']}")
    timing = info.get("timing", {})
    total_ms = sum(v for v in timing.values() if isinstance(v, (int, float))) / 1e6
    lines.append(f"variables: {info['model']['num_variables']}   time: {total_ms:.1f} ms")
    return "\n".join(lines)


def main() -> None:
    app()
