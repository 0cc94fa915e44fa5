from __future__ import annotations

from typing import Any

import pytest

from dockyard.cli.template import Template, TemplateError, format_rows, go_json, go_sprint, render
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
        ("{{.Ratio}} {{.Big}}", "0.5 1e+21"),
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
        ('{{join .Config.Env ","}}', "APP_HOME=/srv/app,PATH=/bin"),
        ("{{upper .Repository}}", "ORACLE/APP"),
        ('{{lower "ABC"}}', "abc"),
        ('{{title "hello wide-world_x"}}', "Hello Wide-World_x"),
        ("{{truncate .ID 12}}", "sha256:bd329"),
        ('{{truncate "abc" 12}}', "abc"),
        ('{{pad "x" 1 2}}|{{pad "" 1 2}}', " x  |"),
        ('{{split "a:b:c" ":"}}', "[a b c]"),
        ("{{println .Tag .Size}}", "latest 4982317\n"),
        ('{{print 1 2 "a" "b" 3}}', "1 2ab3"),
        ('{{printf "%s=%d %q %-4s| %05d %v" .Tag .Size "x" "ab" 42 .Flag}}',
         'latest=4982317 "x" ab  | 00042 true'),
        ('{{printf "%d"}} {{printf "%d" "s"}}', "%!d(MISSING) %!d(string=s)"),
        ("{{range .Config.Env}}[{{.}}]{{end}}", "[APP_HOME=/srv/app][PATH=/bin]"),
        ("{{range $i, $e := .Config.Env}}{{$i}}={{$e}};{{end}}",
         "0=APP_HOME=/srv/app;1=PATH=/bin;"),
        ("{{range $k, $v := .Config.Labels}}{{$k}}:{{$v}} {{end}}", "b:<&> org.example.role:app "),
        ("{{range .List}}x{{else}}empty{{end}}", "empty"),
        ("{{range .None}}x{{end}}", ""),
        ("{{if .Flag}}yes{{else}}no{{end}}", "yes"),
        ("{{if .Empty}}yes{{else}}no{{end}}", "no"),
        ("{{if .List}}yes{{end}}", ""),
        ('{{if eq .Tag "1"}}one{{else if eq .Tag "latest"}}L{{else}}?{{end}}', "L"),
        ("{{if and .Flag (not .Empty)}}ok{{end}}", "ok"),
        ("{{if or .Empty .None}}t{{else}}f{{end}}", "f"),
        ("{{if gt .Size 1000}}big{{end}} {{if lt 1 2.5}}lt{{end}}", "big lt"),
        ("{{if ne .Tag \"x\"}}ne{{end}}", "ne"),
        ("{{with .Config}}{{.Cmd}}{{end}}", "[echo hi]"),
        ("{{with .Empty}}x{{else}}none{{end}}", "none"),
        ("{{$t := .Tag}}{{range .Config.Env}}{{$t}}{{end}}", "latestlatest"),
        ("{{$.Tag}}{{range .Config.Env}}{{$.Tag}}{{end}}", "latestlatestlatest"),
        ('{{$x := "a"}}{{$x = "b"}}{{$x}}', "b"),
        ("{{.Tag | upper | printf \"%s!\"}}", "LATEST!"),
        ("{{(index .Mixed 4).k}}", "[2]"),
        ("{{len .Config.Env}} {{len .Repository}} {{len .Config.Labels}}", "2 10 2"),
        ("a  {{- .Tag -}}  b", "alatestb"),
        ("{{/* a comment */}}x{{- /* trimmed */ -}} y", "xy"),
        ('{{"a\\tb\\u00e9"}} {{`raw\\n`}}', "a\tb\u00e9 raw\\n"),
        ("{{.}}", go_sprint(DATA)),
        ("{{nil | json}}", "null"),
        ("{{0x10}} {{-3}} {{1.50}} {{true}}", "16 -3 1.5 true"),
    ],
)
def test_render(template: str, expected: str) -> None:
    assert render(template, DATA) == expected


def test_json_of_everything_is_go_compact_with_sorted_keys() -> None:
    assert go_json({"b": 1, "a": [True, None, "x\n\u2028\x01\b"]}) == (
        '{"a":[true,null,"x\\n\\u2028\\u0001\\b"],"b":1}'
    )
    assert go_json(1e-7) == "1e-7"
    assert go_json(123456789.0) == "123456789"
    assert go_json(float("nan")) == ""
    assert go_json("\u00fcn\u00ef <a&b>") == '"\u00fcn\u00ef <a&b>"'


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{.Foo}}", 'template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo"'),
        ("x\n  {{.Config.Nope}}",
         'template: :2:4: executing "" at <.Config.Nope>: map has no entry for key "Nope"'),
        ("{{.Tag.X}}", "can't evaluate field X in type string"),
        ("{{.None.X}}", "nil pointer evaluating interface {}.X"),
        ("{{foo .Tag}}", 'template: :1: function "foo" not defined'),
        ("{{.Tag", "template: :1: unclosed action"),
        ("{{if .Tag}}x", "template: :1: unexpected EOF"),
        ("{{end}}", "template: :1: unexpected {{end}}"),
        ("{{$y}}", 'template: :1: undefined variable "$y"'),
        ("{{.Tag }", 'unexpected "}" in operand'),
        ("{{/* open", "unclosed comment"),
        ("{{index .Config.Env 5}}",
         "at <index .Config.Env 5>: error calling index: index out of range: 5"),
        ("{{lower .Size}}", "wrong type for value; expected string; got int"),
        ("{{join .Config.Env}}", "wrong number of args for join: want 2 got 1"),
        ("{{.Tag .Size}}", "can't give argument to non-function .Tag"),
        ('{{eq .Size "x"}}', "error calling eq: incompatible types for comparison"),
        ("{{range .Tag}}{{end}}", "range can't iterate over latest"),
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
        template.execute({}, type_name="*formatter.ImageContext")
    assert template.execute({}, missingkey="default") == "<no value>"


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


def test_format_rows_plain_json_and_empty_table() -> None:
    assert format_rows("{{.Tag}}\\n--", ROWS) == "latest\n--\nv1\n--\n"
    assert format_rows("  {{.Tag}}  ", ROWS[:1]) == "latest\n"
    assert format_rows("json", [{"b": "<none>", "a": 1}]) == '{"a":1,"b":"<none>"}\n'
    assert format_rows("table {{.ID}}\t{{.CreatedAt}}", []) == "ID        CREATED AT\n"
    assert format_rows("table {{.ID}}", [], titles=TITLES) == "IMAGE ID\n"
    with pytest.raises(TemplateError):
        format_rows("table {{.Nope}}", ROWS)


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
            size = image["Size"]
            assert format_rows("{{.Size}}", [{"Size": human_size(size, 3)}]).strip() in (
                {r["Size"] for r in rows if r["ID"] == image["Id"]} or {human_size(size, 3)})
