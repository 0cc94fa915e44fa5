"""Docker's short-ID search rules (go-digest digestset) on real images of a store."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

import dockyard
from dockyard.digest import sha256_bytes
from dockyard.errors import AmbiguousID, ImageNotFound
from tests.unit.store.helpers import config


@functools.cache
def _config_with_prefix(prefix: str, not_prefix: str = "") -> bytes:
    """The first layerless config (deterministic search) whose ID starts with ``prefix``."""
    for n in itertools.count():
        raw = config(extra=f"search {n}")
        hex_ = sha256_bytes(raw).hex
        if hex_.startswith(prefix) and not (not_prefix and hex_.startswith(not_prefix)):
            return raw
    raise AssertionError("unreachable")


A = _config_with_prefix("9a", not_prefix="9a9")
B = _config_with_prefix("9b")
C = _config_with_prefix("c")
HEX = {"A": sha256_bytes(A).hex, "B": sha256_bytes(B).hex, "C": sha256_bytes(C).hex}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dockyard.Client]:
    with dockyard.open(tmp_path_factory.mktemp("search")) as client:
        with client.transaction() as tx:
            for raw in (A, B, C):
                tx.add_image(raw)
        yield client


def _term(template: str) -> str:
    """``<A>`` stands for image A's hex, ``<A:upper>`` for it in uppercase."""
    for name, hex_ in HEX.items():
        template = template.replace(f"<{name}>", hex_).replace(f"<{name}:upper>", hex_.upper())
    return template


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("c", "C"),
        ("sha256:c", "C"),
        ("9a", "A"),
        ("sha256:9b", "B"),
        ("<A>", "A"),
        ("sha256:<B>", "B"),
        ("<C>", "C"),
    ],
)
def test_search_finds(store: dockyard.Client, term: str, expected: str) -> None:
    assert store.image_store.search(_term(term)) == "sha256:" + HEX[expected]
    with store.view() as view:
        assert view.search(_term(term)) == "sha256:" + HEX[expected]


@pytest.mark.parametrize("term", ["9", "sha256:9", ""])
def test_search_ambiguous(store: dockyard.Client, term: str) -> None:
    with pytest.raises(AmbiguousID, match=r"^ambiguous digest string$"):
        store.image_store.search(term)


@pytest.mark.parametrize(
    "term",
    [
        "C",
        "d",
        "sha256:",
        ":c",
        "sha512:c",
        "foo:c",
        "sha256:" + "g" * 64,
        "sha256:9c",
        "9a9",
        "<C>0",
        "<A:upper>",
        "sha256:<C:upper>",
        "%",
        "_",
    ],
)
def test_search_not_found(store: dockyard.Client, term: str) -> None:
    term = _term(term)
    with pytest.raises(ImageNotFound, match=f"^No such image: {term}$"):
        store.image_store.search(term)


def test_search_empty_term_single_image(tmp_path: Path) -> None:
    client = dockyard.open(tmp_path / "one")
    with pytest.raises(ImageNotFound):
        client.image_store.search("")
    image_id = client.image_store.create(C)
    assert client.image_store.search("") == image_id


def test_search_follows_create_and_delete(tmp_path: Path) -> None:
    client = dockyard.open(tmp_path / "two")
    image_id = client.image_store.create(A)
    assert client.image_store.search(image_id.hex[:1]) == image_id
    client.image_store.delete(image_id)
    with pytest.raises(ImageNotFound):
        client.image_store.search(image_id.hex[:1])


def test_search_ignores_unusable_images(tmp_path: Path) -> None:
    client = dockyard.open(tmp_path / "three")
    good = client.image_store.create(A)
    broken = client.image_store.create(B)
    path = client.layout.config_path(broken.hex)
    path.unlink()
    path.write_bytes(B + b" ")  # the directory changed: the next read rebuilds the index
    assert client.image_store.search("9") == good
