"""Recorded dockerd 28.3 answers, byte for byte: status, Content-Type and body.

The store is brought to the state of the recording (the five oracle archives loaded in
the recorded order), then every recorded read of that state is sent again, as sent.
Only ``GraphDriver.Name`` may differ (``vfs`` there, ``dockyard`` here), and the newest
API version (1.51 there, 1.50 here).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.server.helpers import ORACLE_28, SPEC_LOGS, ServerProcess

#: Recordings made in the state right after the loads (c28-010..017), or independent of it.
READS = [
    "c28-003-images-empty",  # replayed before the loads
    "c28-020-images", "c28-021-images-a", "c28-024-images-f-dangling",
    "c28-025-images-f-label", "c28-026-images-f-reference", "c28-027-images-repo-arg",
    "c28-030-image-ls-tree", "c28-031-images-multi-filter", "c28-032-images-f-bogus",
    "c28-033-images-f-before", "c28-034-images-repo-tag-arg", "c28-037-images-f-label-key",
    "c28-040-inspect-tag", "c28-041-inspect-short-id", "c28-042-inspect-full-id",
    "c28-043-inspect-unknown", "c28-044-inspect-multi", "c28-046-inspect-generic",
    "c28-047-inspect-invalid-ref", "c28-048-inspect-no-tag", "c28-049-inspect-id-no-prefix-full",
    "c28-04a-inspect-generic-unknown", "c28-04c-inspect-platform", "c28-04d-inspect-bad-chars",
    "c28-050-history", "c28-052-history-unknown", "c28-053-history-short-id",
    "c28-054-history-format-json", "c28-056-history-invalid-ref", "c28-057-history-platform",
    "c28-058-history-untagged-id",
    "c20-040-inspect-tag", "c20-043-inspect-unknown", "c20-046-inspect-generic",
    "c20-050-history", "c20-051-history-no-trunc", "c20-052-history-unknown",
    "raw-01-too-new-version", "raw-02-too-old-version", "raw-04-unknown-route",
    "raw-05-get-ping", "raw-06-versioned-ping", "raw-10-wrong-method",
    "raw-12-delete-empty-name", "raw-14-images-json-bad-filters-json",
]  # fmt: skip
LOADS = ["base", "app", "scratch", "untagged", "multi"]
#: Exchanges whose body is about the daemon itself.
_NOT_BODIES = ("/info",)


def _exchanges(name: str) -> Iterator[dict[str, Any]]:
    with (SPEC_LOGS / f"{name}.jsonl").open() as f:
        for line in f:
            yield json.loads(line)


def _header(pairs: list[list[str]], name: str) -> str | None:
    for key, value in pairs:
        if key.lower() == name.lower():
            return value
    return None


@pytest.fixture(scope="module")
def loaded() -> Iterator[ServerProcess]:
    if not (SPEC_LOGS / "index.jsonl").is_file() or not ORACLE_28.is_dir():
        pytest.skip("shared/spec and shared/oracle are not available")
    with ServerProcess() as server:
        yield server


def test_recorded_reads(loaded: ServerProcess) -> None:
    problems: list[str] = []
    with loaded.client() as http:
        for name in READS:
            if name == "c28-020-images":
                for archive in LOADS:
                    data = (ORACLE_28 / f"{archive}.tar").read_bytes()
                    answer = http.post("/v1.50/images/load?quiet=1", content=data)
                    assert answer.status_code == 200, answer.text
                    assert b"errorDetail" not in answer.content
            for exchange in _exchanges(name):
                if exchange["method"] == "HEAD" or exchange["target"].endswith(_NOT_BODIES):
                    continue
                got = http.request(exchange["method"], exchange["target"])
                want_body = exchange["response_body"].get("body")
                body = got.content.decode("utf-8", "replace")
                want_type = _header(exchange["response_headers"], "Content-Type")
                if got.status_code != exchange["status"]:
                    problems.append(f"{name} {exchange['target']}: status {got.status_code} "
                                    f"!= {exchange['status']}: {body[:200]}")  # fmt: skip
                    continue
                if got.headers.get("content-type") != want_type:
                    problems.append(f"{name}: Content-Type {got.headers.get('content-type')!r} "
                                    f"!= {want_type!r}")  # fmt: skip
                if want_body is None:  # a long body: the recording keeps only its length
                    want_len = exchange["response_body"]["length"]
                    if len(got.content) != want_len:
                        problems.append(f"{name}: {len(got.content)} bytes != {want_len}")
                    continue
                # the recorder wrote <bin> for /usr/local/bin; dockerd's newest API is 1.51
                body = body.replace("/usr/local/bin", "<bin>")
                want_body = want_body.replace('"Name":"vfs"', '"Name":"dockyard"')
                want_body = want_body.replace("version is 1.51", "version is 1.50")
                if body != want_body:
                    problems.append(
                        f"{name} {exchange['target']}:\n got  {body}\n want {want_body}"
                    )
    assert not problems, "\n".join(problems)


def test_ping_headers(loaded: ServerProcess) -> None:
    with loaded.client() as http:
        for method in ("HEAD", "GET"):
            got = http.request(method, "/_ping")
            assert got.status_code == 200
            assert got.headers["api-version"] == "1.50"
            assert got.headers["docker-experimental"] == "false"
            assert got.headers["ostype"] == "linux"
            assert got.headers["builder-version"] == "2"
            assert got.headers["content-type"] == "text/plain; charset=utf-8"
            assert got.content == (b"OK" if method == "GET" else b"")
