"""Fixtures: one real server for the whole session, clients that talk to it.

The server is launched when the session starts and waited for on first use, so its warm-up overlaps
the tests that do not need it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the test helpers import as top-level modules
from serverproc import API_KEY, ServerProcess  # noqa: E402

import landscape_client as lc


@pytest.fixture(scope="session", autouse=True)
def _launched_server(tmp_path_factory):
    with ServerProcess(tmp_path_factory.mktemp("landscape-server") / "landscape.db") as launched:
        yield launched


@pytest.fixture(scope="session")
def server(_launched_server):
    return _launched_server.wait_ready()


@pytest.fixture()
def client(server):
    with lc.Client(server.url, api_key=API_KEY) as client:
        yield client
