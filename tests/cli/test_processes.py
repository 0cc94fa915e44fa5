"""The installed ``dockyard`` console script and ``python -m dockyard`` as real processes:
progress on stderr only, a clean stdout, and rich bars when stderr is a terminal."""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

TIMEOUT = 60


def _script() -> str:
    beside = Path(sys.executable).parent / "dockyard"
    if beside.is_file():
        return str(beside)
    found = shutil.which("dockyard")
    if found is None:
        pytest.skip("the dockyard console script is not installed")
    return found


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKYARD_ROOT", "COLUMNS")}
    env.update(TZ="UTC", **extra)
    return env


def test_console_script_and_module_print_the_same(base_tar: Path, tmp_path: Path) -> None:
    runs = {
        "script": [_script()],
        "module": [sys.executable, "-m", "dockyard"],
    }
    outputs: dict[str, bytes] = {}
    for kind, prefix in runs.items():
        root = tmp_path / kind
        done = subprocess.run(
            [*prefix, "--root", str(root), "load", "-i", str(base_tar)],
            capture_output=True,
            env=_env(),
            timeout=TIMEOUT,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout == b"Loaded image: oracle/base:1\n"
        lines = done.stderr.decode().splitlines()
        assert lines
        assert all(line.startswith("Loading layer ") for line in lines)
        assert "\x1b[" not in done.stderr.decode(), "no terminal codes in a log"
        listed = subprocess.run(
            [
                *prefix,
                "--root",
                str(root),
                "images",
                "--format",
                "{{.Repository}}:{{.Tag}} {{.ID}}",
            ],
            capture_output=True,
            env=_env(),
            timeout=TIMEOUT,
            check=False,
        )
        assert listed.returncode == 0
        assert listed.stderr == b""
        outputs[kind] = done.stdout + listed.stdout
    assert outputs["script"] == outputs["module"]


def test_process_errors_and_quiet(base_tar: Path, tmp_path: Path) -> None:
    root = str(tmp_path / "store")
    quiet = subprocess.run(
        [_script(), "--root", root, "load", "-q", "-i", str(base_tar)],
        capture_output=True,
        env=_env(),
        timeout=TIMEOUT,
        check=False,
    )
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (
        0,
        b"Loaded image: oracle/base:1\n",
        b"",
    )
    missing = subprocess.run(
        [_script(), "--root", root, "history", "nope"],
        capture_output=True,
        env=_env(),
        timeout=TIMEOUT,
        check=False,
    )
    assert (missing.returncode, missing.stdout, missing.stderr) == (
        1,
        b"",
        b"Error: No such image: nope:latest\n",
    )
    usage = subprocess.run(
        [sys.executable, "-m", "dockyard", "bogus"],
        capture_output=True,
        env=_env(),
        timeout=TIMEOUT,
        check=False,
    )
    assert usage.returncode == 1
    assert usage.stdout == b""
    assert usage.stderr == (b"dockyard: unknown command: dockyard bogus\n\n"
                            b"Run 'dockyard --help' for more information\n")


def test_save_through_a_pipe(base_tar: Path, tmp_path: Path) -> None:
    root = str(tmp_path / "store")
    subprocess.run(
        [_script(), "--root", root, "load", "-q", "-i", str(base_tar)],
        check=True,
        capture_output=True,
        env=_env(),
        timeout=TIMEOUT,
    )
    saved = subprocess.run(
        [_script(), "--root", root, "save", "oracle/base:1"],
        capture_output=True,
        env=_env(),
        timeout=TIMEOUT,
        check=False,
    )
    assert saved.returncode == 0
    assert b"Saving" in saved.stderr
    again = subprocess.run(
        [_script(), "--root", str(tmp_path / "other"), "load"],
        input=saved.stdout,
        capture_output=True,
        env=_env(),
        timeout=TIMEOUT,
        check=False,
    )
    assert again.returncode == 0
    assert again.stdout == b"Loaded image: oracle/base:1\n"


def _run_on_a_terminal(argv: list[str]) -> tuple[int, bytes, bytes]:
    """Run with stderr on a pseudo-terminal and stdout on a pipe; what each received."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=slave,
            env=_env(COLUMNS="100", TERM="xterm-256color"),
        )
    finally:
        os.close(slave)
    drawn = bytearray()
    deadline = time.monotonic() + TIMEOUT
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            drawn += chunk
        out, _ = proc.communicate(timeout=TIMEOUT)
        code = proc.returncode
    finally:
        with contextlib.suppress(OSError):
            os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return code, out, bytes(drawn)


def test_rich_bars_on_a_terminal(app_tar: Path, tmp_path: Path) -> None:
    code, out, drawn = _run_on_a_terminal(
        [
            sys.executable,
            "-m",
            "dockyard",
            "--root",
            str(tmp_path / "store"),
            "load",
            "-i",
            str(app_tar),
        ]
    )
    assert code == 0, drawn
    assert out == b"Loaded image: oracle/app:1\n"
    text = drawn.decode("utf-8", "replace")
    assert "Loading layer" in text
    assert "━" in text
    assert "\x1b[" in text, "rich draws with terminal control sequences"
    assert "Loaded image" not in text
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    assert max(len(line) for line in re.split(r"[\r\n]", plain)) <= 100  # COLUMNS=100
    if "\x1b[?25l" in text:  # a hidden cursor is shown again at the end
        assert text.rindex("\x1b[?25h") > text.rindex("\x1b[?25l")


def test_quiet_draws_nothing_on_a_terminal(app_tar: Path, tmp_path: Path) -> None:
    code, out, drawn = _run_on_a_terminal(
        [
            sys.executable,
            "-m",
            "dockyard",
            "--root",
            str(tmp_path / "store"),
            "load",
            "-q",
            "-i",
            str(app_tar),
        ]
    )
    assert code == 0
    assert out == b"Loaded image: oracle/app:1\n"
    assert drawn == b""
