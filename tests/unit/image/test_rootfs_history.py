from __future__ import annotations

import pytest

from dockyard.digest import ChainID, DiffID, Digest, chain_id
from dockyard.gojson import Compat, GoTime, JSONError, encode, parse
from dockyard.image import LAYERS_TYPE, History, RootFS, new_history

D1 = DiffID(Digest("sha256:1fa551d924610dd6cce43941c8cdbd55b870a6022e3f4461497932e5496a2e81"))
D2 = DiffID(Digest.from_hex("ab" * 32))


def test_rootfs_json_and_chain_id():
    assert encode(RootFS()) == b'{"type":"layers"}'
    fs = RootFS()
    fs.append(D1)
    fs.append(D2)
    assert encode(fs) == f'{{"type":"layers","diff_ids":["{D1}","{D2}"]}}'.encode()
    assert fs.chain_id() == chain_id([D1, D2])
    assert RootFS().chain_id() is None
    assert RootFS(diff_ids=[D1]).chain_id() == ChainID(D1)
    assert LAYERS_TYPE == "layers"


def test_rootfs_clone_is_independent():
    fs = RootFS(diff_ids=[D1])
    copy = fs.clone()
    copy.append(D2)
    assert fs.diff_ids == [D1]
    assert copy.diff_ids == [D1, D2]


def test_rootfs_decode_rejects_bad_digest():
    assert RootFS.from_json_value(parse(b'{"TYPE":"layers","diff_ids":null}')) == RootFS()
    with pytest.raises(JSONError, match="invalid diff ID"):
        RootFS.from_json_value(parse(b'{"type":"layers","diff_ids":["sha256:xyz"]}'))


def test_history_layouts_per_version():
    h = History(created=GoTime.parse("2024-01-02T03:04:05Z"), created_by="c", author="a")
    assert encode(h, Compat.V28) == (
        b'{"created":"2024-01-02T03:04:05Z","created_by":"c","author":"a"}'
    )
    assert encode(h, Compat.V20_10) == (
        b'{"created":"2024-01-02T03:04:05Z","author":"a","created_by":"c"}'
    )
    bare = History(empty_layer=True)
    assert encode(bare, Compat.V28) == b'{"empty_layer":true}'
    assert encode(bare, Compat.V20_10) == b'{"created":"0001-01-01T00:00:00Z","empty_layer":true}'


def test_history_decode_round_trip():
    h = History(GoTime.parse("2024-01-02T03:04:05.5+01:00"), "by", "me", "note", True)
    for compat in Compat:
        back = History.from_json_value(parse(encode(h, compat)))
        assert back == h
        assert back.created is not None
        assert back.created.offset == 3600


def test_new_history_uses_clock():
    fixed = GoTime.parse("2030-05-06T07:08:09.000000001Z")
    h = new_history("me", "note", "cmd", True, now=lambda: fixed)
    assert h == History(fixed, "cmd", "me", "note", True)
    assert new_history("", "", "", False).created.offset == 0  # type: ignore[union-attr]
