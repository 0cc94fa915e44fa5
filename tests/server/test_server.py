"""``dockyard serve`` itself: sockets, exposure rules, errors, events, shutdown."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from dockyard.errors import InvalidArgumentError
from dockyard.server.listen import TLSOptions, check_exposure, parse_host
from tests.server.helpers import ORACLE_28, ServerProcess, free_port


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    if not ORACLE_28.is_dir():
        pytest.skip("shared/oracle is not available")
    with ServerProcess() as proc:
        with proc.client() as http:
            for name in ("base", "app"):
                answer = http.post("/images/load", content=(ORACLE_28 / f"{name}.tar").read_bytes())
                assert b"errorDetail" not in answer.content
        yield proc


def test_socket_mode_and_removal(tmp_path) -> None:
    with ServerProcess() as proc:
        mode = stat.S_IMODE(os.stat(proc.socket).st_mode)
        assert mode == 0o660
        assert stat.S_ISSOCK(os.stat(proc.socket).st_mode)
        assert proc.stop() == 0
        assert not proc.socket.exists()


def test_live_socket_is_refused() -> None:
    with ServerProcess() as first:
        second = subprocess.run(
            [sys.executable, "-m", "dockyard.server", "--root", str(first.root),
             "--host", first.host], capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        assert second.returncode != 0
        assert "another server is listening" in second.stderr


def test_exposure_rules(tmp_path) -> None:
    sock = tmp_path / "x.sock"
    assert parse_host("unix://", sock).address == str(sock)
    loopback = parse_host("tcp://127.0.0.1:2375", sock)
    check_exposure([loopback], TLSOptions())
    everywhere = parse_host("tcp://0.0.0.0:2375", sock)
    with pytest.raises(InvalidArgumentError, match="needs TLS with client certificates"):
        check_exposure([everywhere], TLSOptions(tls=True, cert="c", key="k"))
    check_exposure([everywhere], TLSOptions(verify=True, cacert="a", cert="c", key="k"))
    with pytest.raises(InvalidArgumentError):
        parse_host("http://x", sock)


def test_tcp_loopback(tmp_path) -> None:
    port = free_port()
    with ServerProcess(hosts=[f"tcp://127.0.0.1:{port}"]):
        import httpx

        answer = httpx.get(f"http://127.0.0.1:{port}/_ping", timeout=10)
        assert answer.text == "OK"
        assert answer.headers["api-version"] == "1.50"


def test_errors(server: ServerProcess) -> None:
    with server.client() as http:
        assert http.get("/v1.50/nope").json() == {"message": "page not found"}
        assert "api-version" not in http.get("/v1.50/nope").headers
        old = http.get("/v1.23/images/json")
        assert old.status_code == 400
        assert old.headers["content-type"].startswith("text/plain")
        assert http.delete("/v1.50/images/%20").json() == {"message": "image name cannot be blank"}
        assert http.get("/v1.50/images/json?filters=notjson").status_code == 400
        # names never become paths: hostile names are just references that do not parse
        for name in ("../../etc/passwd", "%2e%2e/x", "a/../../b"):
            answer = http.get(f"/v1.50/images/{name}/json")
            assert answer.status_code in (400, 404), answer.text
            assert answer.headers["content-type"] == "application/json"
        saved = http.get("/v1.50/images/get", params={"names": "../../etc/passwd"})
        assert saved.status_code == 500
        # pulls are the registry routes' (tests/server/test_registry_routes.py)
        assert http.post("/v1.50/images/create?fromImage=scratch").status_code == 403
        assert http.post("/v1.50/images/create?fromImage=x&tag=a:b").json() == {
            "message": "invalid tag format"
        }


def test_json_body_limit() -> None:
    """The JSON body helper refuses large bodies (for the routes that take JSON)."""
    import asyncio

    from dockyard.server.http import ApiError, Request
    from dockyard.server.state import Settings

    class _State:
        settings = Settings(json_limit=10)

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b'{"a": "0123456789"}', "more_body": False}

    scope = {"method": "POST", "headers": [], "query_string": b""}
    request = Request(scope, receive, _State(), path="/auth", version="1.50", params={})  # type: ignore[arg-type]
    with pytest.raises(ApiError) as refused:
        asyncio.run(request.json())
    assert refused.value.status == 413


def test_events_and_signal(server: ServerProcess) -> None:
    with server.client() as http:
        since = time.time() - 1
        assert http.post("/v1.50/images/oracle/base:1/tag?repo=ev/x&tag=1").status_code == 201
        assert http.delete("/v1.50/images/ev/x:1").status_code == 200
        until = time.time() + 1
        wanted = json.dumps({"type": ["image"], "event": ["tag", "untag"]})
        params = {"since": f"{since:.3f}", "until": f"{until:.3f}", "filters": wanted}
        answer = http.get("/v1.50/events", params=params)
        events = [json.loads(line) for line in answer.text.splitlines()]
    assert [e["Action"] for e in events] == ["tag", "untag"]
    assert events[0]["Actor"]["Attributes"]["name"] == "ev/x:1"
    assert events[0]["status"] == "tag"
    assert events[0]["Type"] == "image"


def test_sigterm_ends_event_streams() -> None:
    with ServerProcess() as proc:
        lines: list[str] = []

        def follow() -> None:
            with proc.client() as http, http.stream("GET", "/events") as stream:
                lines.extend(stream.iter_lines())

        follower = threading.Thread(target=follow)
        follower.start()
        time.sleep(0.5)
        started = time.monotonic()
        assert proc.proc is not None
        proc.proc.send_signal(signal.SIGTERM)
        assert proc.stop() == 0
        follower.join(10)
        assert not follower.is_alive()
        assert time.monotonic() - started < 10
