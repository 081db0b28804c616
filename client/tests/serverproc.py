"""The real service for the client tests: the repository's ``ServerProcess`` with API key ``k1``.

The port is chosen at import, so test modules can build clients and samplers at import time.
"""

from __future__ import annotations

from pathlib import Path

from tests.live_server import ServerProcess as _RepoServer
from tests.live_server import free_port

API_KEY = "k1"
PORT = free_port()
URL = f"http://127.0.0.1:{PORT}"


class ServerProcess(_RepoServer):
    """``landscape serve`` with its own SQLite file, two workers and API key ``k1``; stopped on exit.

    Entering the context launches it without waiting (it warms its workers meanwhile);
    call :meth:`wait_ready` before the first request.
    """

    def __init__(self, db: Path, port: int = PORT, **env: str):
        super().__init__(db, port, LANDSCAPE_API_KEYS=API_KEY, **env)

    def __enter__(self) -> ServerProcess:
        return self.start(wait=False)
