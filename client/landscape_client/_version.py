"""The client's version (released together with the server) and the API version it speaks."""

__version__ = "0.1.0"
API_VERSION = "1"
