"""The command line, run in-process through ``dockyard.cli.main`` with captured streams.

Every test gets a fresh store (``--root``) and runs with ``TZ=UTC`` (dates are printed in
local time, as Docker prints them). Archives come from the shared Docker oracle and the
tests that need one are skipped when it is missing.
"""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest

from dockyard.cli import main
from tests.oracle.util import ORACLE as ORACLE

#: Oracle folder → the ``inspect --api`` shape that Docker version printed.
API = {"docker-20.10": "1.41", "docker-28.3": "1.50"}


def oracle_file(version: str, name: str) -> Path:
    """A file of the oracle (the test is skipped when the oracle is not there)."""
    path = ORACLE / version / name
    if not path.is_file():
        pytest.skip(f"the shared oracle ({version}/{name}) is not available")
    return path


def record(version: str, name: str) -> dict[str, Any]:
    """What Docker recorded after loading ``<name>.tar`` into a fresh daemon."""
    data: dict[str, Any] = json.loads(oracle_file(version, f"{name}.load.json").read_bytes())
    return data


class TerminalBytes(io.BytesIO):
    """A binary stream that claims to be a terminal."""

    def isatty(self) -> bool:
        return True


class TerminalText(io.StringIO):
    """A text stream that claims to be a terminal."""

    def isatty(self) -> bool:
        return True


@dataclass
class Result:
    """What one command printed and returned."""

    code: int
    raw: bytes
    err: str
    argv: list[str] = field(default_factory=list)

    @property
    def out(self) -> str:
        return self.raw.decode("utf-8")

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()

    def json_lines(self) -> list[Any]:
        return [json.loads(line) for line in self.lines]

    def ok(self) -> Result:
        assert self.code == 0, f"{self.argv}: exit {self.code}\n{self.err}"
        return self


class CLI:
    """Runs ``dockyard --root ROOT ARGS…`` in-process."""

    def __init__(self, root: Path, home: Path) -> None:
        self.root = root
        self.env: dict[str, str] = {"HOME": str(home), "TZ": "UTC"}

    def __call__(
        self,
        *args: str | os.PathLike[str],
        stdin: bytes | IO[bytes] | None = None,
        stdout_tty: bool = False,
        stderr: IO[str] | None = None,
        env: Mapping[str, str] | None = None,
        root: bool = True,
    ) -> Result:
        argv = [str(a) for a in args]
        if root:
            argv = ["--root", str(self.root), *argv]
        if stdin is None or isinstance(stdin, bytes):
            stdin = io.BytesIO(stdin or b"")
        buffer: io.BytesIO = TerminalBytes() if stdout_tty else io.BytesIO()
        stdout = io.TextIOWrapper(buffer, encoding="utf-8", newline="\n", write_through=True)
        err = stderr if stderr is not None else io.StringIO()
        code = main(
            argv,
            env=dict(env if env is not None else self.env),
            stdin=stdin,
            stdout=stdout,
            stderr=err,
        )
        stdout.flush()
        raw = buffer.getvalue()
        stdout.detach()
        text = err.getvalue() if isinstance(err, io.StringIO) else ""
        return Result(code, raw, text, argv)


@pytest.fixture(autouse=True)
def utc() -> Iterator[None]:
    """Run with ``TZ=UTC`` in the process (dates are formatted in local time)."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()


@pytest.fixture
def cli(tmp_path: Path) -> CLI:
    """The command line on a fresh store."""
    home = tmp_path / "home"
    home.mkdir()
    return CLI(tmp_path / "store", home)


@pytest.fixture
def base_tar() -> Path:
    return oracle_file("docker-28.3", "base.tar")


@pytest.fixture
def app_tar() -> Path:
    return oracle_file("docker-28.3", "app.tar")


@pytest.fixture
def multi_tar() -> Path:
    return oracle_file("docker-28.3", "multi.tar")


def image_id(version: str, name: str, index: int = 0) -> str:
    """The full ID (``sha256:…``) of an image of an oracle archive, as Docker loaded it."""
    value: str = record(version, name)["inspect"][index]["Id"]
    return value
