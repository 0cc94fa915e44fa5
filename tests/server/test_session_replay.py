"""The recorded Docker CLI 28.2 session, replayed against ``dockyard serve``.

Every command of ``shared/spec/engine-api`` (``c28-*``) runs again, in order, with the
``docker`` 28.2 client on a fresh store; its exit code, stdout and stderr must equal what
it printed against dockerd 28.3 (see :mod:`tests.server.session` for what is normalised).
"""

from __future__ import annotations

import difflib
import shutil
import subprocess

import pytest

from tests.server.helpers import SPEC_LOGS, ServerProcess, short_tempdir
from tests.server.session import (
    DIVERGE,
    SKIP,
    UNORDERED,
    argv_for,
    entries,
    known_ids,
    normalise,
    rootfs_tar,
    stdin_for,
)

pytestmark = pytest.mark.compat


def _docker() -> str:
    path = shutil.which("docker")
    if path is None:
        pytest.skip("the docker CLI is not installed")
    version = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    if "28.2" not in version.stdout:
        pytest.skip(f"the recorded session needs the docker 28.2 CLI, not {version.stdout}")
    return path


def test_cli_session_matches_dockerd() -> None:
    if not (SPEC_LOGS / "index.jsonl").is_file():
        pytest.skip("shared/spec/engine-api is not available")
    docker = _docker()
    out = short_tempdir("dyo-")
    (out / "rootfs.tar").write_bytes(rootfs_tar())
    (out / "garbage.txt").write_bytes(b"not a tar\n")
    known = known_ids()
    mismatches: list[str] = []
    try:
        with ServerProcess() as server:
            env = {**server.env, "DOCKER_CLI_HINTS": "false"}
            for entry in entries("c28-"):
                if entry["name"] in SKIP:
                    continue
                proc = subprocess.run(
                    [docker, *argv_for(entry, out)], input=stdin_for(entry, out) or b"",
                    capture_output=True, env=env, timeout=120, check=False,
                )  # fmt: skip
                if entry["name"] in DIVERGE:
                    continue
                want_out = entry["stdout"]
                if isinstance(want_out, dict):  # an archive on stdout: compare its length
                    got = {"length": len(proc.stdout)}
                    want = {"length": want_out["length"]}
                    if got != want:
                        mismatches.append(f"{entry['name']}: stdout {got} != {want}")
                    continue
                got_text = normalise(proc.stdout.decode(), known)
                want_text = normalise(want_out, known)
                got_err = normalise(proc.stderr.decode(), known)
                want_err = normalise(entry["stderr"], known)
                if entry["name"] in UNORDERED:
                    got_text = "\n".join(sorted(got_text.split("\n")))
                    want_text = "\n".join(sorted(want_text.split("\n")))
                if (proc.returncode, got_text, got_err) != (entry["exit_code"], want_text,
                                                              want_err):  # fmt: skip
                    diff = difflib.unified_diff(
                        f"{want_text}\n--- stderr\n{want_err}".splitlines(),
                        f"{got_text}\n--- stderr\n{got_err}".splitlines(),
                        "dockerd", "dockyard", lineterm="",
                    )  # fmt: skip
                    mismatches.append(
                        f"{entry['name']}: exit {proc.returncode} (want {entry['exit_code']})\n"
                        + "\n".join(diff)
                    )
    finally:
        shutil.rmtree(out, ignore_errors=True)
    assert not mismatches, "\n\n".join(mismatches)
