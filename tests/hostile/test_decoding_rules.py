"""The pieces behind the typed errors: Go's number literals, quoting, names and links."""

from __future__ import annotations

import io
import tarfile

import pytest

from dockyard.archive.documents import decode_manifest, decode_oci
from dockyard.archive.tarpath import reroot_member_name
from dockyard.archive.tarreader import iter_members
from dockyard.errors import InvalidArchive
from dockyard.gojson import JSONNumber, encode, go_quote, parse, unmarshal


@pytest.mark.parametrize(
    ("text", "kind", "literal"),
    [("12", int, "12"), ("-0", int, "0"), ("1e30", JSONNumber, "1e30"),
     ("1.50", JSONNumber, "1.50"), ("9" * 5000, JSONNumber, "9" * 5000)],
)  # fmt: skip
def test_numbers_keep_their_literal(text: str, kind: type, literal: str) -> None:
    (value,) = parse(f"[{text}]".encode())
    assert type(value) is kind
    assert (value.text if isinstance(value, JSONNumber) else str(value)) == literal


def test_a_long_integer_never_reaches_int() -> None:
    """Python refuses int() of more than 4,300 digits: the parser must never ask it."""
    assert unmarshal(b'{"a":' + b"-" + b"7" * 100_000 + b"}")["a"] < 0
    assert unmarshal(b" " * (5 << 20) + b"[" + b"7" * 5000 + b"]")[0] > 0  # exact parser


def test_raw_message_bytes_survive_encoding() -> None:
    from dockyard.gojson import RawMessage

    assert encode({"a": RawMessage(b'"\xed\xb3\xbf"')}) == b'{"a":"\xed\xb3\xbf"}'


@pytest.mark.parametrize(
    ("text", "quoted"),
    [("a/b:1", '"a/b:1"'), ('a"b\\c', '"a\\"b\\\\c"'), ("\x00\t", '"\\x00\\t"'),
     ("é\u2028", '"é\\u2028"'), ("\udcff", '"\\xff"')],
)  # fmt: skip
def test_go_quote(text: str, quoted: str) -> None:
    assert go_quote(text) == quoted


@pytest.mark.parametrize(
    ("raw", "name"),
    [("/etc/passwd", "etc/passwd"), ("../x", "x"), ("a/../../x", "x"), ("..", "."),
     ("./a//b/", "a/b"), ("/", ".")],
)  # fmt: skip
def test_names_are_taken_inside_the_root(raw: str, name: str) -> None:
    assert reroot_member_name(raw) == name


def _tar(*entries: tuple[str, bytes, str]) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, kind, link in entries:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, link
            tar.addfile(info, io.BytesIO(b""))
    buf.seek(0)
    return buf


def test_hardlinks_follow_docker_extraction() -> None:
    members = list(iter_members(_tar(("/a", tarfile.REGTYPE, ""), ("h", tarfile.LNKTYPE, "../a"),
                                     ("s", tarfile.SYMTYPE, "/a"), ("t", tarfile.LNKTYPE, "s")),
                                reroot=True))
    assert [(m.name, m.linkname) for m in members] == [("a", ""), ("h", "a"), ("s", "/a"),
                                                       ("t", "s")]
    with pytest.raises(InvalidArchive, match=r"^link /d /h: operation not permitted$"):
        list(iter_members(_tar(("d/x", tarfile.REGTYPE, ""), ("h", tarfile.LNKTYPE, "d")),
                          reroot=True))


def test_manifest_items_are_typed() -> None:
    items = decode_manifest(b'[{"config":"a","Config":"b","repotags":["x:1"],"Parent":""}] x')
    assert items is not None
    (item,) = items
    assert (item.config, item.repo_tags, item.layers, item.parent) == ("b", ["x:1"], None, "")
    assert decode_manifest(b"null") is None


def test_oci_documents_are_typed() -> None:
    index = decode_oci(b'{"manifests":[{"digest":"sha256:x","size":3,"platform":{"os":"l"}}]}',
                       "index.json", index=None)
    assert index.has_manifests
    assert index.manifests is not None
    assert index.manifests[0].platform is not None
    assert index.manifests[0].platform.os == "l"
    with pytest.raises(InvalidArchive, match=r"index\.json: json: cannot unmarshal string into "
                       r"Go struct field Descriptor\.manifests\.size of type int64"):
        decode_oci(b'{"manifests":[{"size":"3"}]}', "index.json", index=True)
