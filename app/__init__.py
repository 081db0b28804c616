"""The Landscape service: FastAPI app, job runner, CLI."""

API_VERSION = "1"
__version__ = "0.1.0"
