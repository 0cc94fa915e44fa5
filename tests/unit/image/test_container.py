from __future__ import annotations

import pytest

from dockyard.gojson import Compat, JSONError, encode, parse
from dockyard.image import ContainerConfig, HealthConfig

ZERO = (
    b'{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,'
    b'"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,'
    b'"Cmd":null,"Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,'
    b'"Labels":null}'
)


def decode(data: bytes) -> ContainerConfig:
    return ContainerConfig.from_json_value(parse(data))


def test_zero_value_layout():
    assert encode(ContainerConfig()) == ZERO
    assert decode(ZERO) == ContainerConfig()


def test_nil_and_empty_are_different():
    cfg = ContainerConfig(env=[], labels={})
    out = encode(cfg)
    assert b'"Env":[]' in out
    assert b'"Labels":{}' in out
    assert decode(out).env == []
    assert decode(ZERO).env is None


def test_strslice_accepts_string():
    cfg = decode(b'{"Cmd":"x","Entrypoint":["a","b"],"Shell":"sh"}')
    assert cfg.cmd == ["x"]
    assert cfg.entrypoint == ["a", "b"]
    assert cfg.shell == ["sh"]
    assert decode(b'{"Cmd":null}').cmd is None


def test_case_insensitive_and_unknown_keys():
    cfg = decode(b'{"hostname":"h","WORKINGDIR":"/w","Nope":1,"user":"a","User":"b"}')
    assert (cfg.hostname, cfg.working_dir, cfg.user) == ("h", "/w", "b")


def test_sets_maps_and_omitempty_fields():
    cfg = ContainerConfig(
        exposed_ports={"8080/tcp", "53/udp"},
        volumes={"/v"},
        labels={"b": "2", "a": "1"},
        stop_timeout=0,
        stop_signal="SIGTERM",
        args_escaped=True,
        healthcheck=HealthConfig(test=["CMD", "true"], interval=5_000_000_000),
    )
    out = encode(cfg)
    assert b'"ExposedPorts":{"53/udp":{},"8080/tcp":{}}' in out
    assert b'"Volumes":{"/v":{}}' in out
    assert b'"Labels":{"a":"1","b":"2"}' in out
    assert b'"StopTimeout":0' in out
    assert b'"ArgsEscaped":true' in out
    assert b'"Healthcheck":{"Test":["CMD","true"],"Interval":5000000000}' in out
    assert decode(out) == cfg


def test_healthcheck_start_interval_only_in_v28():
    cfg = ContainerConfig(healthcheck=HealthConfig(start_interval=7))
    assert b'"StartInterval":7' in encode(cfg, Compat.V28)
    assert b"StartInterval" not in encode(cfg, Compat.V20_10)


def test_null_leaves_scalars_and_clears_slices():
    cfg = decode(b'{"Hostname":"h","Hostname":null,"Env":["a"],"Env":null}')
    assert cfg.hostname == "h"
    assert cfg.env is None


def test_maps_merge_on_duplicate_keys():
    cfg = decode(b'{"Labels":{"a":"1"},"Labels":{"b":"2"}}')
    assert cfg.labels == {"a": "1", "b": "2"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"Hostname":5}', "cannot unmarshal number into Go struct field Config.Hostname"),
        (b'{"Tty":"yes"}', "of type bool"),
        (b'{"StopTimeout":1.5}', "number 1.5"),
        (b'{"Env":"x"}', "cannot unmarshal string"),
        (b'{"Labels":{"a":1}}', "Config.Labels of type string"),  # Go 1.19: no map key
        (b"[]", "cannot unmarshal array into Go value of type container.Config"),
    ],
)
def test_type_errors(data, message):
    with pytest.raises(JSONError, match=message):
        decode(data)
