"""Property tests: references generated from the grammar round-trip through their strings."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dockyard.errors import InvalidReference
from dockyard.reference import Reference, parse_normalized_named

_LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
_WORD = _LOWER_ALNUM + "ABCDEFGHIJKLMNOPQRSTUVWXYZ_"

alnum = st.text(_LOWER_ALNUM, min_size=1, max_size=6)
separator = st.sampled_from([".", "_", "__", "-", "--", "---"])


@st.composite
def path_components(draw: st.DrawFn) -> str:
    parts = [draw(alnum)]
    for _ in range(draw(st.integers(0, 2))):
        parts += [draw(separator), draw(alnum)]
    return "".join(parts)


@st.composite
def domains(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["localhost", "dotted", "port", "ipv6"]))
    if kind == "localhost":
        host = "localhost"
    elif kind == "ipv6":
        host = "[" + draw(st.text("0123456789abcdef:", min_size=1, max_size=8)) + "]"
    else:
        labels = draw(
            st.lists(st.text(_LOWER_ALNUM, min_size=1, max_size=5), min_size=1, max_size=3)
        )
        host = ".".join(labels) + (".com" if kind == "dotted" else "")
    if kind in ("port", "ipv6") or draw(st.booleans()):
        host += ":" + str(draw(st.integers(1, 65535)))
    return host


tags = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(_WORD),
    st.text(_WORD + ".-", max_size=20),
)
digests = st.text("0123456789abcdef", min_size=64, max_size=64).map(lambda h: f"sha256:{h}")


@st.composite
def reference_texts(draw: st.DrawFn) -> tuple[str, str | None, list[str]]:
    """Return (text, domain given or None, path components) for a valid reference."""
    domain = draw(st.none() | domains())
    components = draw(st.lists(path_components(), min_size=1, max_size=3))
    text = "/".join(components)
    if domain is not None:
        text = f"{domain}/{text}"
    if draw(st.booleans()):
        text += ":" + draw(tags)
    if draw(st.booleans()):
        text += "@" + draw(digests)
    return text, domain, components


@settings(max_examples=300)
@given(reference_texts())
def test_round_trip_full_and_familiar(case: tuple[str, str | None, list[str]]) -> None:
    text, domain, components = case
    ref = parse_normalized_named(text)
    assert parse_normalized_named(str(ref)) == ref
    assert parse_normalized_named(ref.familiar_string()) == ref
    if domain is None and "." in components[0] and len(components) > 1:
        # A first component with a dot names a registry host.
        assert ref.familiar_name() == text.partition(":")[0].partition("@")[0]
    elif domain is None:
        assert ref.domain == "docker.io"
        expected_path = "/".join(components)
        if len(components) == 1:
            expected_path = "library/" + expected_path
        assert ref.path == expected_path
        assert ref.familiar_name() == "/".join(components)
    else:
        assert ref.domain == domain
        assert ref.path == "/".join(components)
        assert ref.familiar_name() == f"{domain}/{ref.path}"


@settings(max_examples=300)
@given(reference_texts())
def test_uppercase_repository_is_refused(case: tuple[str, str | None, list[str]]) -> None:
    text, domain, components = case
    assume(any(c.isalpha() for c in components[-1]))
    prefix = f"{domain}/" if domain is not None else ""
    suffix = text[len(prefix) + len("/".join(components)) :]
    upper = [*components[:-1], components[-1].upper()]
    if domain is not None:
        remote = "/".join(upper)
    elif len(upper) == 1:
        remote = "library/" + upper[0]
    elif "." in upper[0]:
        remote = "/".join(upper[1:])
    else:
        remote = "/".join(upper)
    # Docker quotes everything up to the first colon, "@sha256" included.
    remote = (remote + suffix).partition(":")[0]
    with pytest.raises(InvalidReference) as info:
        parse_normalized_named(prefix + "/".join(upper) + suffix)
    assert str(info.value) == (
        f"invalid reference format: repository name ({remote}) must be lowercase"
    )


@given(st.text(max_size=80))
def test_arbitrary_text_parses_or_raises_invalid_reference(text: str) -> None:
    try:
        ref = parse_normalized_named(text)
    except InvalidReference:
        return
    assert isinstance(ref, Reference)
    assert parse_normalized_named(str(ref)) == ref
