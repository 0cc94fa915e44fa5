"""What a command runs with: the streams, the environment and the store."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path
    from typing import IO, Any

    from dockyard.client import Client

__all__ = ["Context", "default_root", "go_os_error", "output_path_problem"]


def go_os_error(op: str, path: str, exc: OSError) -> str:
    """An ``OSError`` worded as Go's ``*PathError``: ``open x.tar: no such file or directory``."""
    text = os.strerror(exc.errno) if exc.errno else str(exc)
    return f"{op} {path}: {text[:1].lower()}{text[1:]}"


def output_path_problem(path: str) -> str:
    """What the Docker CLI's ``ValidateOutputPath`` says about an output file, or ``""``."""
    directory = os.path.dirname(os.path.normpath(path))
    if directory and directory != ".":
        try:
            os.stat(directory)
        except OSError as exc:
            return "invalid output path: " + go_os_error("stat", directory, exc)
    if os.path.isdir(path):
        return "cannot write to a directory"
    return ""


def default_root(env: Mapping[str, str]) -> Path:
    """The default store: ``$DOCKYARD_ROOT``, else the user's data directory (XDG)."""
    from pathlib import Path

    if env.get("DOCKYARD_ROOT"):
        return Path(env["DOCKYARD_ROOT"])
    if env.get("XDG_DATA_HOME"):
        return Path(env["XDG_DATA_HOME"]) / "dockyard"
    if env.get("HOME"):
        return Path(env["HOME"]) / ".local" / "share" / "dockyard"
    from dockyard.client import default_root as library_default

    return library_default()


class Context:
    """The streams and environment of one CLI invocation (tests pass their own)."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        stdin: IO[bytes] | Any = None,
        stdout: IO[str] | Any = None,
        stderr: IO[str] | Any = None,
        root: Path | None = None,
        debug: bool = False,
    ) -> None:
        self.env: Mapping[str, str] = dict(os.environ) if env is None else env
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.root = root
        self.debug = debug
        self._client: Client | None = None
        self.__post_init__()

    def __post_init__(self) -> None:
        if self.stdin is None:
            self.stdin = sys.stdin.buffer
        if self.stdout is None:
            self.stdout = sys.stdout
        if self.stderr is None:
            self.stderr = sys.stderr

    @property
    def client(self) -> Client:
        """The store, opened on first use."""
        if self._client is None:
            import dockyard

            self._client = dockyard.open(self.root or default_root(self.env))
        return self._client

    def out(self, text: str = "") -> None:
        """Write a line to stdout."""
        self.stdout.write(text + "\n")

    def err(self, text: str) -> None:
        """Write a line to stderr."""
        self.stderr.write(text + "\n")

    def stdout_binary(self) -> IO[bytes]:
        """The binary stream under stdout (for archives written to a pipe)."""
        buffer = getattr(self.stdout, "buffer", None)
        if buffer is None:
            raise RuntimeError("stdout has no binary buffer")
        self.stdout.flush()
        return buffer  # type: ignore[no-any-return]

    def output_target(self, path: str | None, *, directory: bool = False,
                      what: str = "save image") -> Any:
        """Where a command writes an archive: ``-o PATH``, else stdout if it is no terminal.

        A file path is checked first as the Docker CLI checks it (its directory must exist,
        it must not be a directory itself).

        Raises:
            InvalidArgumentError: no path for a directory output.
            CommandError: stdout is a terminal, or the path cannot be an output
                (Docker's ``failed to save image: invalid output path: …``).
        """
        from dockyard.cli.exitcodes import CommandError
        from dockyard.errors import InvalidArgumentError

        if path is not None:
            from pathlib import Path

            if not directory:
                problem = output_path_problem(path)
                if problem:
                    raise CommandError(f"failed to {what}: {problem}")
            return Path(path)
        if directory:
            raise InvalidArgumentError("a directory output needs -o DIRECTORY")
        if self.is_terminal(self.stdout):
            raise CommandError(
                "cowardly refusing to save to a terminal. Use the -o flag or redirect"
            )
        return self.stdout_binary()

    def is_terminal(self, stream: Any) -> bool:
        """True when ``stream`` is an interactive terminal."""
        try:
            return bool(stream.isatty())
        except (AttributeError, ValueError):
            return False
