"""``python -m app`` is the ``landscape`` command."""

from app.cli import main

main()
