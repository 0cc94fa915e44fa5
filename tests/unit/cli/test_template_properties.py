"""Properties of the template engine that hold for any input."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dockyard.cli.gotemplate.strconv import format_float, go_quote, go_unquote, parse_int
from dockyard.cli.template import Template, TemplateError, format_rows, render

TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
FINITE = st.floats(allow_nan=False, allow_infinity=False)
TEMPLATE_CHARS = st.text(alphabet='{}{}{}.$|()"\'`-/* abxyz0129\n\t:=,ife', max_size=30)
DATA: dict[str, Any] = {"a": "x", "b": [1, "y"], "z": {"k": None}}


@given(TEXT.filter(lambda s: "{{" not in s))
def test_text_without_actions_is_copied(text: str) -> None:
    assert render(text, None) == text


def _outcome(text: str) -> str:
    try:
        template = Template(text)
    except TemplateError as exc:
        return "parse: " + str(exc)
    try:
        return "ok: " + template.execute(DATA)
    except TemplateError as exc:
        return "exec: " + str(exc)


@settings(max_examples=400)
@given(TEMPLATE_CHARS)
def test_any_text_parses_or_fails_with_a_template_error(text: str) -> None:
    outcome = _outcome(text)
    if not outcome.startswith("ok: "):
        assert outcome.split(": ", 1)[1].startswith("template parsing error: template: :")


@given(TEXT)
def test_quoting_round_trips(text: str) -> None:
    quoted = go_quote(text)
    assert go_unquote(quoted) == text
    assert render("{{" + quoted + "}}", None) == text
    assert go_unquote(render('{{printf "%q" .}}', text)) == text
    assert render('{{printf "%s" .}}', text) == text


@given(TEXT)
def test_json_of_a_string_decodes_back(text: str) -> None:
    assert json.loads(render("{{json .}}", text)) == text


@given(INT64)
def test_integers_print_like_go(n: int) -> None:
    assert render("{{.}}", n) == str(n)
    assert render(f"{{{{{n}}}}}", None) == str(n)
    assert render('{{printf "%x|%o|%b|%08d|%+d" . . . . .}}', n) == (
        f"{n:x}|{n:o}|{n:b}|{n:08d}|{n:+d}")
    assert parse_int(str(n)) == n


@given(FINITE)
def test_floats_print_the_shortest_exact_form(x: float) -> None:
    assert float(render("{{.}}", x)) == x
    assert float(render("{{json .}}", x)) == x
    assert render('{{printf "%.3f|%.4e" . .}}', x) == f"{x:.3f}|{x:.4e}"


@given(FINITE)
def test_shortest_g_uses_an_exponent_outside_1e_4_to_1e6(x: float) -> None:
    g = format_float(x, "g", -1)
    assert float(g) == x
    exponent = Decimal(repr(x)).adjusted()
    assert ("e" in g) == (x != 0 and not -4 <= exponent < 6)
    digits = g.lstrip("-").split("e")[0].replace(".", "").strip("0")
    assert len(digits) <= len(repr(abs(x)).split("e")[0].replace(".", "").strip("0"))


@given(TEXT)
def test_trim_markers_remove_surrounding_space_only(text: str) -> None:
    assert render("a \t\n{{- . -}} \r\n b", text) == f"a{text}b"


@given(st.dictionaries(st.text(max_size=5), st.integers(), max_size=8))
def test_maps_range_in_sorted_key_order(mapping: dict[str, int]) -> None:
    expected = "".join(f"{k}={v};" for k, v in sorted(mapping.items()))
    assert render("{{range $k, $v := .}}{{$k}}={{$v}};{{end}}", mapping) == expected
    assert json.loads(render("{{json .}}", mapping)) == mapping


@given(st.one_of(TEXT, INT64, st.booleans()))
def test_eq_is_reflexive(value: Any) -> None:
    assert render("{{eq . .}} {{ne . .}}", value) == "true false"


CELL = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\n\t"),
               max_size=12)


@given(st.lists(st.fixed_dictionaries({"A": CELL, "B": CELL}), max_size=6))
def test_tables_have_one_line_per_row_plus_the_header(rows: list[dict[str, str]]) -> None:
    out = format_rows("table {{.A}}\\t{{.B}}", rows, titles={"A": "A", "B": "B"})
    lines = out.split("\n")
    assert lines[-1] == ""
    assert len(lines) == len(rows) + 2
    assert all(line.endswith(row["B"]) for line, row in zip(lines[1:], rows, strict=False))
