"""Reference parsing and normalisation, checked against distribution/reference's behaviour."""

from __future__ import annotations

import pytest

from dockyard.digest import Digest
from dockyard.errors import InvalidArgumentError, InvalidReference
from dockyard.reference import (
    DigestReference,
    Reference,
    parse_any_reference,
    parse_docker_ref,
    parse_normalized_named,
    parse_reference,
    split_docker_domain,
    tag_name_only,
)

HEX = "0123456789abcdef" * 4
DGST = f"sha256:{HEX}"

# input, full normalised string, familiar string, domain, path
VALID = [
    ("busybox", "docker.io/library/busybox", "busybox", "docker.io", "library/busybox"),
    ("busybox:latest", "docker.io/library/busybox:latest", "busybox:latest", None, None),
    ("busybox:Latest", "docker.io/library/busybox:Latest", "busybox:Latest", None, None),
    ("library/busybox", "docker.io/library/busybox", "busybox", None, None),
    ("docker.io/busybox", "docker.io/library/busybox", "busybox", None, None),
    (
        "docker.io/library/busybox:1.36",
        "docker.io/library/busybox:1.36",
        "busybox:1.36",
        *[None] * 2,
    ),
    ("index.docker.io/busybox", "docker.io/library/busybox", "busybox", "docker.io", None),
    ("index.docker.io/u/x:1", "docker.io/u/x:1", "u/x:1", None, None),
    ("u/x", "docker.io/u/x", "u/x", "docker.io", "u/x"),
    ("a/b/c/d", "docker.io/a/b/c/d", "a/b/c/d", "docker.io", "a/b/c/d"),
    ("library/a/b", "docker.io/library/a/b", "library/a/b", "docker.io", "library/a/b"),
    ("localhost/x", "localhost/x", "localhost/x", "localhost", "x"),
    (
        "localhost:5000/x/y:z",
        "localhost:5000/x/y:z",
        "localhost:5000/x/y:z",
        "localhost:5000",
        "x/y",
    ),
    (
        "registry.example.com:5000/team/app:v1",
        "registry.example.com:5000/team/app:v1",
        "registry.example.com:5000/team/app:v1",
        "registry.example.com:5000",
        "team/app",
    ),
    ("example.com/app", "example.com/app", "example.com/app", "example.com", "app"),
    ("127.0.0.1:5000/a", "127.0.0.1:5000/a", "127.0.0.1:5000/a", "127.0.0.1:5000", "a"),
    ("[::1]:5000/foo:bar", "[::1]:5000/foo:bar", "[::1]:5000/foo:bar", "[::1]:5000", "foo"),
    ("Foo/bar", "Foo/bar", "Foo/bar", "Foo", "bar"),
    (f"x@{DGST}", f"docker.io/library/x@{DGST}", f"x@{DGST}", None, "library/x"),
    (f"x:1@{DGST}", f"docker.io/library/x:1@{DGST}", f"x:1@{DGST}", None, None),
    (f"example.com:5000/x:1@{DGST}", f"example.com:5000/x:1@{DGST}", None, None, None),
    ("a_b/c", "docker.io/a_b/c", "a_b/c", None, None),
    ("a__b/c-d---e", "docker.io/a__b/c-d---e", "a__b/c-d---e", None, None),
    ("a.b-c_d", "docker.io/library/a.b-c_d", "a.b-c_d", None, None),
    ("sha256:abc", "docker.io/library/sha256:abc", "sha256:abc", None, "library/sha256"),
    ("x:_tag", "docker.io/library/x:_tag", "x:_tag", None, None),
    ("x:a.B-c_9", "docker.io/library/x:a.B-c_9", "x:a.B-c_9", None, None),
    ("x:" + "t" * 128, "docker.io/library/x:" + "t" * 128, None, None, None),
    ("a_b.c/d", "a_b.c/d", "a_b.c/d", "", "a_b.c/d"),
    ("localhost:5000", "docker.io/library/localhost:5000", "localhost:5000", None, None),
    ("f5a0e8", "docker.io/library/f5a0e8", "f5a0e8", None, None),
    ("a" * 63, "docker.io/library/" + "a" * 63, "a" * 63, None, None),
    ("library/" + "a" * 247, "docker.io/library/" + "a" * 247, "a" * 247, None, None),
]

LOWER = "invalid reference format: repository name ({}) must be lowercase"
FORMAT = "invalid reference format"
INVALID = [
    ("Busybox", LOWER.format("library/Busybox")),
    ("u/Busybox", LOWER.format("u/Busybox")),
    ("localhost:5000/X", LOWER.format("X")),
    ("Foo/Bar", LOWER.format("Bar")),
    (f"X@{DGST}", LOWER.format("library/X@sha256")),
    ("-x", FORMAT),
    ("x-", FORMAT),
    ("x..y", FORMAT),
    ("x/", FORMAT),
    ("/x", FORMAT),
    (":tag", FORMAT),
    ("", FORMAT),
    ("x:-tag", FORMAT),
    ("x:.tag", FORMAT),
    ("x:" + "t" * 129, FORMAT),
    ("x:tag:tag", FORMAT),
    ("x y", FORMAT),
    ("x\n", FORMAT),
    ("a___b", FORMAT),
    ("a._b", FORMAT),
    ("ünïcode", FORMAT),
    ("example.com:port/x", FORMAT),
    ("localhost:5000/x/", FORMAT),
    ("x@sha256:abc", FORMAT),
    ("x@", FORMAT),
    (HEX, f"invalid repository name ({HEX}), cannot specify 64-byte hexadecimal strings"),
    ("x@sha256:" + "a" * 40, "invalid checksum digest length"),
    ("x@sha256:" + HEX.upper(), "invalid checksum digest format"),
    ("x@md5:" + "a" * 32, "unsupported digest algorithm"),
    ("a" * 248, "repository name must not be more than 255 characters"),
]


def test_tables_are_large_enough() -> None:
    assert len(VALID) + len(INVALID) >= 40


@pytest.mark.parametrize(("text", "full", "familiar", "domain", "path"), VALID)
def test_valid(
    text: str, full: str, familiar: str | None, domain: str | None, path: str | None
) -> None:
    ref = parse_normalized_named(text)
    assert str(ref) == full
    assert ref.familiar_string() == (familiar if familiar is not None else text)
    if domain is not None:
        assert ref.domain == domain
    if path is not None:
        assert ref.path == path
    assert ref.name() == (f"{ref.domain}/{ref.path}" if ref.domain else ref.path)
    assert parse_normalized_named(str(ref)) == ref
    assert parse_normalized_named(ref.familiar_string()) == ref


@pytest.mark.parametrize(("text", "message"), INVALID)
def test_invalid(text: str, message: str) -> None:
    with pytest.raises(InvalidReference) as info:
        parse_normalized_named(text)
    assert str(info.value) == message
    assert info.value.value == text
    assert isinstance(info.value, InvalidArgumentError)


def test_parts_of_a_tagged_digested_reference() -> None:
    ref = parse_normalized_named(f"localhost:5000/x/y:z@{DGST}")
    assert (ref.domain, ref.path, ref.tag, ref.digest) == ("localhost:5000", "x/y", "z", DGST)
    assert isinstance(ref.digest, Digest)
    assert ref.name() == "localhost:5000/x/y"
    assert ref.familiar_name() == "localhost:5000/x/y"
    assert not ref.is_name_only()


def test_familiar_name() -> None:
    assert parse_normalized_named("busybox:1").familiar_name() == "busybox"
    assert parse_normalized_named("u/x").familiar_name() == "u/x"
    assert parse_normalized_named("docker.io/library/a/b").familiar_name() == "library/a/b"
    assert parse_normalized_named("Docker.io/x").familiar_name() == "Docker.io/x"


def test_v20_wording_and_length_rule() -> None:
    with pytest.raises(InvalidReference) as info:
        parse_normalized_named("Busybox", compat="v20.10")
    assert str(info.value) == "invalid reference format: repository name must be lowercase"
    # v28 limits the path only; 20.10 counted the domain too.
    long_name = "registry.example.com/" + "a" * 240
    assert parse_normalized_named(long_name).path == "a" * 240
    with pytest.raises(InvalidReference, match="must not be more than 255 characters"):
        parse_normalized_named(long_name, compat="v20.10")


def test_split_docker_domain() -> None:
    assert split_docker_domain("busybox:1") == ("docker.io", "library/busybox:1")
    assert split_docker_domain("u/x") == ("docker.io", "u/x")
    assert split_docker_domain("docker.io/x") == ("docker.io", "library/x")
    assert split_docker_domain("index.docker.io/u/x") == ("docker.io", "u/x")
    assert split_docker_domain("localhost/x") == ("localhost", "x")
    assert split_docker_domain("host:1/x") == ("host:1", "x")
    assert split_docker_domain("Host/x") == ("Host", "x")


def test_parse_reference_does_not_normalise() -> None:
    assert parse_reference("busybox") == Reference("", "busybox")
    # Without normalisation the first of two components is taken as a domain, as in Go.
    assert parse_reference("a/b") == Reference("a", "b")
    with pytest.raises(InvalidReference) as info:
        parse_reference("")
    assert str(info.value) == "repository name must have at least one component"
    with pytest.raises(InvalidReference) as info:
        parse_reference("Busybox")
    assert str(info.value) == "repository name must be lowercase"


def test_parse_any_reference() -> None:
    assert parse_any_reference(HEX) == DigestReference(Digest(DGST))
    assert parse_any_reference(DGST) == DigestReference(Digest(DGST))
    assert str(parse_any_reference(DGST)) == DGST
    assert parse_any_reference(DGST).familiar_string() == DGST
    short = parse_any_reference("sha256:abc")
    assert isinstance(short, Reference)
    assert short.familiar_name() == "sha256"
    assert short.tag == "abc"
    assert parse_any_reference("busybox") == parse_normalized_named("busybox")
    with pytest.raises(InvalidReference, match="must be lowercase"):
        parse_any_reference("Busybox")


def test_tag_name_only_and_docker_ref() -> None:
    assert str(tag_name_only(parse_normalized_named("x"))) == "docker.io/library/x:latest"
    tagged = parse_normalized_named("x:1")
    assert tag_name_only(tagged) is tagged
    digested = parse_normalized_named(f"x@{DGST}")
    assert tag_name_only(digested) is digested
    assert str(parse_docker_ref(f"x:1@{DGST}")) == f"docker.io/library/x@{DGST}"
    assert str(parse_docker_ref("x")) == "docker.io/library/x:latest"
    assert str(parse_docker_ref("x:2")) == "docker.io/library/x:2"


def test_with_tag_with_digest_trim() -> None:
    ref = parse_normalized_named("u/x")
    assert str(ref.with_tag("v1")) == "docker.io/u/x:v1"
    assert str(ref.with_digest(DGST).with_tag("v1")) == f"docker.io/u/x:v1@{DGST}"
    assert ref.with_tag("v1").with_digest(DGST).trim() == ref
    with pytest.raises(InvalidReference, match="invalid tag format"):
        ref.with_tag("-bad")
    with pytest.raises(InvalidReference, match="invalid checksum digest length"):
        ref.with_digest("sha256:abc")


@pytest.mark.parametrize(
    ("domain", "path", "tag"),
    [("bad_domain", "x", None), ("", "X", None), ("", "x", ""), ("", "x", "-t"), ("", "", None)],
)
def test_constructor_validates(domain: str, path: str, tag: str | None) -> None:
    with pytest.raises(InvalidReference):
        Reference(domain, path, tag)


def test_constructor_coerces_digest() -> None:
    ref = Reference("docker.io", "library/x", None, DGST)  # type: ignore[arg-type]
    assert isinstance(ref.digest, Digest)
    with pytest.raises(InvalidReference, match="unsupported digest algorithm"):
        Reference("docker.io", "library/x", None, "md5:" + "a" * 32)  # type: ignore[arg-type]
    with pytest.raises(InvalidReference):
        DigestReference("sha256:x")  # type: ignore[arg-type]


def test_non_string_input_is_invalid_reference() -> None:
    for func in (parse_normalized_named, parse_any_reference, parse_reference):
        with pytest.raises(InvalidReference):
            func(None)  # type: ignore[arg-type]


def test_repr_and_hash() -> None:
    ref = parse_normalized_named("x:1")
    assert repr(ref) == "Reference('docker.io/library/x:1')"
    assert repr(DigestReference(Digest(DGST))) == f"DigestReference('{DGST}')"
    assert len({ref, parse_normalized_named("docker.io/library/x:1")}) == 1
