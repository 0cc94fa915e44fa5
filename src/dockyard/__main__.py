"""``python -m dockyard``: the command line."""

from dockyard.cli import run

run()
