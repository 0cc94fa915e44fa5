"""Malformed input of every shape gets a typed error with Docker's message; odd but valid
input loads as Docker loads it. Each case runs from memory, from a pipe and from a file.

The messages are compared with what Docker 20.10 answered for the same archives
(``docker_answers.json``) wherever Docker's message names no path of its own.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest

import dockyard
from dockyard.archive.load import load
from tests.hostile.builders import KINDS, snapshot, source
from tests.hostile.typed_cases import ACCEPTED, REFUSED, config_with

ANSWERS = json.loads((Path(__file__).parent / "docker_answers.json").read_text())


def _archive(tmp_path: Path) -> Path:
    return tmp_path.parent / f"{tmp_path.name}-archive.tar"


@pytest.mark.parametrize("name", sorted(REFUSED))
@pytest.mark.parametrize("kind", KINDS)
def test_refused(store: dockyard.Client, tmp_path: Path, name: str, kind: str) -> None:
    case = REFUSED[name]
    before = snapshot(store.root)
    with pytest.raises(case.error) as raised:
        load(store, source(case.build(), kind, _archive(tmp_path)))
    assert str(raised.value) == case.message
    assert snapshot(store.root) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cwd", "store"]


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_as_docker_words_it(name: str) -> None:
    answer = ANSWERS.get(name)
    if answer is None:
        pytest.skip("Docker was not asked about this archive (run record_answers.py)")
    assert answer["docker_exit"] == 1
    said = answer["docker_output"].removeprefix("Error processing tar file(exit status 1): ")
    if "/var/lib/docker" not in said and REFUSED[name].as_docker:
        assert said == REFUSED[name].message


@pytest.mark.parametrize("created", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z"])
def test_created_times_beyond_64_bit_nanoseconds_load(
    store: dockyard.Client, created: str
) -> None:
    archive = config_with(f'"created":"{created}"')
    result = load(store, io.BytesIO(archive))
    assert result.output == "Loaded image: crafted/img:1\n"
    assert store.images.get("crafted/img:1").attrs["Created"] == created
    assert store.images.list()  # listing sorts by the time: no overflow either


@pytest.mark.parametrize("name", sorted(ACCEPTED))
@pytest.mark.parametrize("kind", KINDS)
def test_accepted(store: dockyard.Client, tmp_path: Path, name: str, kind: str) -> None:
    case = ACCEPTED[name]
    result = load(store, source(case.build(), kind, _archive(tmp_path)))
    assert result.output == case.output
    content = store.layout.content
    for image in result.images:
        assert hashlib.sha256((content / image.id.hex).read_bytes()).hexdigest() == image.id.hex
    answer = ANSWERS.get(name)
    if answer is not None:  # the same images as Docker: the same config bytes
        assert answer["docker_exit"] == 0
        assert answer["docker_output"] == case.output.rstrip("\n")
        assert {str(i.id) for i in result.images} <= set(answer["docker_images"])
