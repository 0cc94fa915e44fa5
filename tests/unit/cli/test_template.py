from __future__ import annotations

from typing import Any

import pytest

from dockyard.cli.gotemplate.gotime import DURATION, TIME, duration_string, format_time
from dockyard.cli.gotemplate.types import (
    INT64,
    SLICE_STRING,
    STRING,
    Field,
    map_of,
    ptr_to,
    struct_of,
)
from dockyard.cli.table import HISTORY_HEADERS, IMAGE_HEADERS
from dockyard.cli.template import (
    HISTORY_CONTEXT,
    IMAGE_CONTEXT,
    IMAGE_INSPECT,
    InspectTemplate,
    Template,
    TemplateError,
    Typed,
    format_inspect,
    format_rows,
    go_json,
    go_sprint,
    render,
)
from dockyard.errors import InvalidArgumentError
from dockyard.units import human_size

from .oracle_data import VERSIONS, load, load_files

DATA: dict[str, Any] = {
    "ID": "sha256:bd32993bbd0556376a988bcb0267a1fc6a6ae8d62c7ed9960f805889b4164734",
    "Repository": "oracle/app",
    "Tag": "latest",
    "Size": 4982317,
    "Ratio": 0.5,
    "Big": 1e21,
    "Flag": True,
    "Empty": "",
    "None": None,
    "List": [],
    "Config": {
        "Env": ["APP_HOME=/srv/app", "PATH=/bin"],
        "Labels": {"org.example.role": "app", "b": "<&>"},
        "Entrypoint": None,
        "Cmd": ["echo hi"],
    },
    "Mixed": [1, "a", None, True, {"k": [2]}],
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("plain text", "plain text"),
        ("{{.Repository}}:{{.Tag}}", "oracle/app:latest"),
        ("{{ .Repository }}", "oracle/app"),
        ("{{.Size}}", "4982317"),
        ("{{.Ratio}} {{.Big}} {{1e6}} {{100000.0}}", "0.5 1e+21 1e+06 100000"),
        ("{{.Flag}}", "true"),
        ("{{.Config.Env}}", "[APP_HOME=/srv/app PATH=/bin]"),
        ("{{.Config.Labels}}", "map[b:<&> org.example.role:app]"),
        ("{{.Mixed}}", "[1 a <nil> true map[k:[2]]]"),
        ("{{.None}}", "<no value>"),
        ("{{.Config.Entrypoint}}", "<no value>"),
        ("{{.List}}", "[]"),
        ("{{json .Config.Env}}", '["APP_HOME=/srv/app","PATH=/bin"]'),
        ("{{json .Config.Labels}}", '{"b":"<&>","org.example.role":"app"}'),
        ("{{json .None}}", "null"),
        ("{{json .Ratio}}", "0.5"),
        ('{{index .Config.Labels "org.example.role"}}', "app"),
        ('{{index .Config.Labels "missing"}}', "<no value>"),
        ("{{index .Config.Env 1}}", "PATH=/bin"),
        ('{{join (split "a,b" ",") "|"}}', "a|b"),
        ("{{upper .Repository}}", "ORACLE/APP"),
        ('{{lower "ABC"}}', "abc"),
        ('{{title "hello wide-world_x o\'neil"}}', "Hello Wide-World_x O'Neil"),
        ("{{truncate .ID 12}}", "sha256:bd329"),
        ('{{truncate "abc" 12}}', "abc"),
        ('{{pad "x" 1 2}}|{{pad "" 1 2}}', " x  |"),
        ('{{split "a:b:c" ":"}}', "[a b c]"),
        ("{{println .Tag .Size}}", "latest 4982317\n"),
        ('{{print 1 2 "a" "b" 3}}', "1 2ab3"),
        ('{{printf "%s=%d %q %-4s| %05d %v" .Tag .Size "x" "ab" 42 .Flag}}',
         'latest=4982317 "x" ab  | 00042 true'),
        ('{{printf "%d"}} {{printf "%d" "s"}} {{printf "%s" 1 2}}',
         "%!d(MISSING) %!d(string=s) %!s(int=1)%!(EXTRA int=2)"),
        ('{{printf "%6.2f|%-5t|%x|%X|%o|%b|%c|%U|%e" 3.14159 true 255 "hi" 8 5 65 65 1234.5}}',
         "  3.14|true |ff|6869|10|101|A|U+0041|1.234500e+03"),
        ('{{printf "%v %+v %#v %T" .Config.Env .Config.Env .Config.Env .Config.Env}}',
         '[APP_HOME=/srv/app PATH=/bin] [APP_HOME=/srv/app PATH=/bin] '
         '[]interface {}{"APP_HOME=/srv/app", "PATH=/bin"} []interface {}'),
        ("{{range .Config.Env}}[{{.}}]{{end}}", "[APP_HOME=/srv/app][PATH=/bin]"),
        ("{{range $i, $e := .Config.Env}}{{$i}}={{$e}};{{end}}",
         "0=APP_HOME=/srv/app;1=PATH=/bin;"),
        ("{{range $k, $v := .Config.Labels}}{{$k}}:{{$v}} {{end}}", "b:<&> org.example.role:app "),
        ("{{range .List}}x{{else}}empty{{end}}", "empty"),
        ("{{range .None}}x{{end}}", ""),
        ("{{range 3}}{{.}}{{end}} {{range $i := 2}}{{$i}}{{end}}", "012 01"),
        ('{{range split "a,b,c" ","}}{{if eq . "b"}}{{continue}}{{end}}{{.}}{{end}}', "ac"),
        ('{{range split "a,b,c" ","}}{{if eq . "b"}}{{break}}{{end}}{{.}}{{end}}', "a"),
        ("{{if .Flag}}yes{{else}}no{{end}}", "yes"),
        ("{{if .Empty}}yes{{else}}no{{end}}", "no"),
        ("{{if .List}}yes{{end}}", ""),
        ('{{if eq .Tag "1"}}one{{else if eq .Tag "latest"}}L{{else}}?{{end}}', "L"),
        ("{{with .Empty}}e{{else with .Tag}}{{.}}{{end}}", "latest"),
        ("{{if and .Flag (not .Empty)}}ok{{end}}", "ok"),
        ("{{if or .Empty .None}}t{{else}}f{{end}}", "f"),
        ("{{and .Flag .Tag}} {{or .Empty .Tag}} {{and 0 .Nope}}", "latest latest 0"),
        ("{{if gt .Size 1000}}big{{end}} {{if lt 1 3}}lt{{end}}", "big lt"),
        ('{{if ne .Tag "x"}}ne{{end}} {{eq .Tag "a" "latest"}}', "ne true"),
        ("{{with .Config}}{{.Cmd}}{{end}}", "[echo hi]"),
        ("{{with .Empty}}x{{else}}none{{end}}", "none"),
        ("{{$t := .Tag}}{{range .Config.Env}}{{$t}}{{end}}", "latestlatest"),
        ("{{$.Tag}}{{range .Config.Env}}{{$.Tag}}{{end}}", "latestlatestlatest"),
        ('{{$x := "a"}}{{$x = "b"}}{{$x}}', "b"),
        ("{{.Tag | upper | printf \"%s!\"}}", "LATEST!"),
        ("{{(index .Mixed 4).k}}", "[2]"),
        ("{{len .Config.Env}} {{len .Repository}} {{len .Config.Labels}}", "2 10 2"),
        ('{{slice .Tag 1 3}} {{index .Tag 0}} {{slice .Config.Env 1}}', "at 108 [PATH=/bin]"),
        ("a  {{- .Tag -}}  b", "alatestb"),
        ("{{/* a comment */}}x{{- /* trimmed */ -}} y", "xy"),
        ('{{"a\\tb\\u00e9\\x41\\101"}} {{`raw\\n`}} {{\'a\'}}', "a\tb\u00e9AA raw\\n 97"),
        ("{{0x10}} {{-3}} {{1.50}} {{true}} {{1_000}} {{0b11}} {{0o7}} {{1i}}",
         "16 -3 1.5 true 1000 3 7 (0+1i)"),
        ('{{define "t"}}[{{.}}]{{end}}{{template "t" .Tag}}{{block "b" 1}}<{{.}}>{{end}}',
         "[latest]<1>"),
        ('{{html "<a&\'>"}} {{js "a\'<"}} {{urlquery "a b/é"}}',
         "&lt;a&amp;&#39;&gt; a\\'\\u003C a+b%2F%C3%A9"),
    ],
)
def test_render(template: str, expected: str) -> None:
    assert render(template, DATA) == expected


def test_plain_data_is_dynamically_typed_like_go_json_decoding() -> None:
    # a plain dict is a map[string]interface {}: its values are interfaces, so a
    # function wanting []string refuses a []interface {}, as Go does
    with pytest.raises(TemplateError, match=r"expected \[\]string; got \[\]interface \{\}$"):
        render('{{join .Config.Env ","}}', DATA)
    typed = {"Env": Typed(["a", "b"], SLICE_STRING)}
    assert render('{{join .Env ","}} {{printf "%T" .Env}}', typed) == "a,b []string"


def test_json_of_everything_is_go_compact_with_sorted_keys() -> None:
    assert go_json({"b": 1, "a": [True, None, "x\n\u2028\x01\b"]}) == (
        '{"a":[true,null,"x\\n\\u2028\\u0001\\b"],"b":1}'
    )
    assert go_json(1e-7) == "1e-7"
    assert go_json(123456789.0) == "123456789"
    assert go_json(1e21) == "1e+21"
    assert go_json(float("nan")) == ""
    assert go_json("\u00fcn\u00ef <a&b>") == '"\u00fcn\u00ef <a&b>"'


def test_structs_keep_field_order_and_omitempty() -> None:
    port = struct_of("demo.Port", (
        Field("Name", STRING, "name"),
        Field("Number", INT64, "number", omitempty=True),
        Field("Tags", SLICE_STRING, omitempty=True),
        Field("Meta", map_of(STRING, STRING)),
        Field("Next", ptr_to(STRING), omitempty=True),
    ))
    value = Typed({"number": 0, "name": "http", "Tags": ["a"]}, port)
    assert go_json(value) == '{"name":"http","Tags":["a"],"Meta":null}'
    assert go_sprint(value) == "{http 0 [a] map[] <nil>}"
    assert render('{{printf "%+v|%T" . .}}', value) == (
        "{Name:http Number:0 Tags:[a] Meta:map[] Next:<nil>}|demo.Port")
    assert render("{{.Meta.x}}|{{.Number}}", value, missingkey="default") == "<no value>|0"
    with pytest.raises(TemplateError, match=r"can.t evaluate field Nope in type demo\.Port"):
        render("{{.Nope}}", value)


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{.Foo}}", 'template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo"'),
        ("x\n  {{.Config.Nope}}",
         'template: :2:11: executing "" at <.Config.Nope>: map has no entry for key "Nope"'),
        ("{{.Tag.X}}", "can't evaluate field X in type interface {}"),
        ("{{$t := .Tag}}{{$t.X}}", "can't evaluate field X in type string"),
        ("{{.None.X}}", "nil pointer evaluating interface {}.X"),
        ("{{foo .Tag}}", 'template: :1: function "foo" not defined'),
        ("{{.Tag", "template: :1: unclosed action"),
        ("{{.Tag\n", "template: :2: unclosed action started at :1"),
        ("{{if .Tag}}x", "template: :1: unexpected EOF"),
        ("{{end}}", "template: :1: unexpected {{end}}"),
        ("{{$y}}", 'template: :1: undefined variable "$y"'),
        ("{{.Tag }", 'unexpected "}" in operand'),
        ("{{/* open", "unclosed comment"),
        ("{{/*c*/ }}", "comment ends before closing delimiter"),
        ("{{3-}}", 'bad number syntax: "3-"'),
        ("{{0x}}", 'illegal number syntax: "0x"'),
        ('{{"\\q"}}', "template: :1: invalid syntax"),
        ("{{ .Tag ) }}", "unexpected right paren"),
        ("{{break}}", "{{break}} outside {{range}}"),
        ("{{.Tag | 1}}", "non executable command in pipeline stage 2"),
        ("{{index .Config.Env 5}}",
         "at <index .Config.Env 5>: error calling index: index out of range: 5"),
        ("{{lower .Size}}", "wrong type for value; expected string; got int"),
        ("{{lower 3}}", "expected string; found 3"),
        ("{{join .Config.Env}}", "at <join>: wrong number of args for join: want 2 got 1"),
        ("{{.Tag .Size}}", "Tag is not a method but has arguments"),
        ('{{eq .Size "x"}}', "error calling eq: incompatible types for comparison"),
        ("{{lt 1 2.5}}", "error calling lt: incompatible types for comparison"),
        ("{{range .Tag}}{{end}}", "range can't iterate over latest"),
        ("{{nil | json}}", "nil is not a command"),
        ("{{9223372036854775808}}", "9223372036854775808 overflows int"),
        ('{{template "x"}}', 'template "x" not defined'),
        ('{{define "x"}}{{.Nope}}{{end}}{{template "x" .}}', 'executing "x" at <.Nope>'),
    ],
)
def test_errors(template: str, message: str) -> None:
    with pytest.raises(TemplateError) as info:
        render(template, DATA)
    text = str(info.value)
    assert text.startswith("template parsing error: template: :")
    assert message in text
    assert isinstance(info.value, InvalidArgumentError)


def test_type_name_and_missingkey_options() -> None:
    template = Template("{{.Foo}}")
    with pytest.raises(TemplateError, match="can't evaluate field Foo in type \\*formatter"):
        template.execute({}, type_name="*formatter.imageContext")
    assert template.execute({}, missingkey="default") == "<no value>"
    assert template.execute({}, missingkey="zero") == "<no value>"


ROWS = [
    {"Repository": "oracle/app", "Tag": "latest", "ID": "sha256:f4041e8eee2a", "Size": "4.98MB"},
    {"Repository": "registry.example.com:5000/team/app", "Tag": "v1", "ID": "sha256:f4041e8eee2a",
     "Size": "4.98MB"},
]
TITLES = {"ID": "IMAGE ID", "Repository": "REPOSITORY", "Tag": "TAG", "Size": "SIZE"}


def test_format_rows_table_with_escapes_and_header_functions() -> None:
    out = format_rows("table {{.Repository}}\\t{{lower .Tag}}\\t{{truncate .ID 12}}", ROWS,
                      titles=TITLES)
    assert out == (
        "REPOSITORY                           TAG       IMAGE ID\n"
        "oracle/app                           latest    sha256:f4041\n"
        "registry.example.com:5000/team/app   v1        sha256:f4041\n"
    )
    # pad keeps its meaning in headers; unknown fields are <no value>; an error ends it
    assert format_rows("table {{pad .Tag 1 1}}|{{.Nope}}", [], titles=TITLES) == (
        " TAG |<no value>\n")
    assert format_rows("table {{.Tag}}|{{json .}}|{{.ID}}", [], titles=TITLES) == "TAG|\n"


def test_format_rows_plain_json_and_empty_table() -> None:
    assert format_rows("{{.Tag}}\\n--", ROWS) == "latest\n--\nv1\n--\n"
    assert format_rows("  {{.Tag}}  ", ROWS[:1]) == "latest\n"
    assert format_rows("json", [{"b": "<none>", "a": 1}]) == '{"a":1,"b":"<none>"}\n'
    assert format_rows("table {{.ID}}\t{{.CreatedAt}}", []) == "<no value>   <no value>\n"
    assert format_rows("table {{.ID}}", [], titles=TITLES) == "IMAGE ID\n"
    with pytest.raises(TemplateError):
        format_rows("table {{.Nope}}", ROWS)


def test_format_rows_with_docker_contexts() -> None:
    row = {"ID": "f4041e8eee2a", "Repository": "<none>", "Tag": "<none>", "Size": "4.98MB"}
    assert format_rows("json", [row], context=IMAGE_CONTEXT) == (
        '{"ID":"f4041e8eee2a","Repository":"\\u003cnone\\u003e","Size":"4.98MB",'
        '"Tag":"\\u003cnone\\u003e"}\n')
    assert format_rows('{{json .Tag}} {{printf "%T" .}}', [row], context=IMAGE_CONTEXT) == (
        '"<none>" *formatter.imageContext\n')
    assert format_rows("table {{.ID}}\\t{{.VirtualSize}}", [], titles=IMAGE_HEADERS,
                       context=IMAGE_CONTEXT) == "IMAGE ID   SIZE\n"
    with pytest.raises(TemplateError) as info:
        format_rows("{{.ID}}{{.Nope}}", [row], context=HISTORY_CONTEXT)
    assert str(info.value) == (
        'template parsing error: template: :1:9: executing "" at <.Nope>: can\'t evaluate '
        "field Nope in type *image.historyContext")
    with pytest.raises(TemplateError, match="wrong number of args for ID: want 0 got 1"):
        format_rows("{{.ID 1}}", [row], titles=HISTORY_HEADERS, context=HISTORY_CONTEXT)


INSPECTED: dict[str, Any] = {
    "Id": "sha256:f4041e8e", "RepoTags": ["oracle/app:1"], "RepoDigests": [], "Parent": "",
    "Comment": "", "Created": "2024-05-01T10:00:00.5Z", "DockerVersion": "", "Author": "",
    "Config": {"Env": ["PATH=/bin"], "Labels": None, "Cmd": ["sh"], "Healthcheck": {
        "Test": ["CMD", "true"], "Interval": 90500000000}},
    "Architecture": "amd64", "Os": "linux", "Size": 4982317,
    "GraphDriver": {"Data": None, "Name": "vfs"}, "RootFS": {"Type": "layers"},
    "Metadata": {"LastTagTime": "2024-05-01T10:00:00.123Z"},
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{.ID}}", "sha256:f4041e8e\n"),  # the typed struct's field
        ("{{.Id}}", "sha256:f4041e8e\n"),  # not a field of the struct: the raw JSON's key
        ('{{printf "%T" .Size}}', "int64\n"),
        ('{{printf "%T" .Size}} {{.Id}}', "json.Number sha256:f4041e8e\n"),
        ('{{eq .Size "4982317"}}', "true\n"),  # only the raw JSON's json.Number compares
        ("{{.Config.Labels}} {{json .Config.Labels}}", "map[] null\n"),
        ("{{json .Config}}", '{"Env":["PATH=/bin"],"Cmd":["sh"],"Healthcheck":'
                             '{"Test":["CMD","true"],"Interval":90500000000}}\n'),
        ("{{.Config.Healthcheck.Interval}} {{.Config.Healthcheck}}",
         "1m30.5s {[CMD true] 1m30.5s 0s 0s 0s 0}\n"),
        ("{{.Metadata.LastTagTime}}", "2024-05-01 10:00:00.123 +0000 UTC\n"),
        ('{{.Metadata.LastTagTime.Format "Jan 2, 2006 at 3:04pm (MST)"}}',
         "May 1, 2024 at 10:00am (UTC)\n"),
        ("{{json .Metadata}} {{.Descriptor}} {{.Manifests}}",
         '{"LastTagTime":"2024-05-01T10:00:00.123Z"} <nil> []\n'),
        ("  {{.Os}}\\t", "  linux\\t\n"),  # inspect neither trims nor replaces \t
    ],
)
def test_inspect_template_typed_first_then_raw(template: str, expected: str) -> None:
    assert InspectTemplate(template).render(INSPECTED) == expected


def test_format_inspect_collects_errors_and_prints_a_newline_when_empty() -> None:
    out, errors = format_inspect("{{.Nope}}", [INSPECTED, INSPECTED])
    assert out == "\n"
    assert errors == ['template parsing error: template: :1:2: executing "" at <.Nope>: '
                      'map has no entry for key "Nope"'] * 2
    out, errors = format_inspect("{{.Os}}", [INSPECTED, {"Os": 1}], schema=None)
    assert (out, errors) == ("linux\n1\n", [])
    with pytest.raises(TemplateError, match="unclosed action"):
        format_inspect("{{.Os", [INSPECTED])
    assert IMAGE_INSPECT.name == "image.InspectResponse"


@pytest.mark.parametrize(
    ("ns", "text"),
    [(0, "0s"), (1, "1ns"), (1500, "1.5µs"), (2_000_000, "2ms"), (5 * 10**9, "5s"),
     (90 * 10**9, "1m30s"), (3600 * 10**9, "1h0m0s"), (-1_500_000_000, "-1.5s")],
)
def test_duration_string(ns: int, text: str) -> None:
    assert duration_string(ns) == text
    assert render("{{.}}", Typed(ns, DURATION)) == text


def test_time_format_and_string() -> None:
    when = "2024-02-29T15:04:05.000001+02:00"
    assert format_time(when, "2006-01-02T15:04:05.000000Z07:00 Monday 002 _2 3PM") == (
        "2024-02-29T15:04:05.000001+02:00 Thursday 060 29 3PM")
    assert render("{{.}}", Typed(when, TIME)) == "2024-02-29 15:04:05.000001 +0200 +0200"
    assert render("{{.Unix}} {{.Month}} {{.IsZero}}", Typed(when, TIME)) == (
        "1709211845 February false")


@pytest.mark.parametrize("version", VERSIONS)
def test_oracle_json_lines_round_trip(version: str) -> None:
    for name in load_files(version):
        data = load(version, name)
        rows = data["images"]
        lines = format_rows("{{json .}}", rows).splitlines()
        assert len(lines) == len(rows)
        for line, row in zip(lines, rows, strict=True):
            assert line == go_json(row)
            assert render("{{.Repository}}:{{.Tag}} {{.Size}}", row) == (
                f"{row['Repository']}:{row['Tag']} {row['Size']}")
        by_id = {image["Id"]: image for image in data["inspect"]}
        for image in by_id.values():
            assert render("{{json .RepoTags}}", image) == go_json(image["RepoTags"])
            assert render("{{.Size}}", image) == str(image["Size"])
            assert InspectTemplate("{{.Size}}").render(image) == f"{image['Size']}\n"
            size = image["Size"]
            assert format_rows("{{.Size}}", [{"Size": human_size(size, 3)}]).strip() in (
                {r["Size"] for r in rows if r["ID"] == image["Id"]} or {human_size(size, 3)})
