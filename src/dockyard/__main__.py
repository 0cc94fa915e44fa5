"""``python -m dockyard``."""

from dockyard.cli import run

run()
