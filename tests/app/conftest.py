"""One real server for the end-to-end tests of this folder."""

from __future__ import annotations

import httpx
import pytest

from live_server import ServerProcess


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    with ServerProcess(tmp_path_factory.mktemp("server") / "landscape.db") as running:
        yield running


@pytest.fixture()
def http(server):
    with httpx.Client(base_url=server.url, timeout=120) as client:
        yield client
