"""The real service (``landscape serve``) in a subprocess on a free loopback port, for the client tests.

The port is chosen at import, so test modules can build clients and samplers at import time.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

API_KEY = "k1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PORT = free_port()
URL = f"http://127.0.0.1:{PORT}"


class ServerProcess:
    """``landscape serve`` with its own SQLite file, two workers and API key ``k1``; killed on exit."""

    def __init__(self, db: Path, port: int = PORT, **env: str):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = db.with_suffix(".log")
        self.env = {**os.environ, "LANDSCAPE_DB": str(db), "LANDSCAPE_WORKERS": "2", "LANDSCAPE_API_KEYS": API_KEY,
                    **env}
        self.process: subprocess.Popen | None = None

    def start(self) -> ServerProcess:
        """Launch the server without waiting for it (it warms its workers meanwhile)."""
        landscape = Path(sys.executable).with_name("landscape")
        command = [str(landscape), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen(command, env=self.env, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT,
                                        start_new_session=True)
        return self

    def wait_ready(self, timeout: float = 120.0) -> ServerProcess:
        """Block until ``/v1/health`` answers 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/v1/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"server not ready after {timeout} s: {self.log.read_text()[-3000:]}")

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
