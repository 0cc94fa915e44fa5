from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path
from typing import Any

import pytest

import dockyard
from dockyard.errors import DockyardError, InvalidReference, UnsupportedOS
from dockyard.gojson import Compat, GoTime
from dockyard.image import Image
from dockyard.layer import InvalidLayer
from dockyard.progress import Progress
from dockyard.service._changes import InvalidChange, apply_changes, parse_duration
from dockyard.service.imports import build_import_config, import_image, parse_platform

SPEC_EXAMPLE = (
    b'{"architecture":"amd64","comment":"my import","config":{"Hostname":"","Domainname":"",'
    b'"User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,'
    b'"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":["/bin/sh"],"Image":"",'
    b'"Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null},'
    b'"container_config":{"Hostname":"","Domainname":"","User":"","AttachStdin":false,'
    b'"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,'
    b'"StdinOnce":false,"Env":null,"Cmd":null,"Image":"","Volumes":null,"WorkingDir":"",'
    b'"Entrypoint":null,"OnBuild":null,"Labels":null},'
    b'"created":"2026-11-23T03:02:09.363588155Z","docker_version":"20.10.24+dfsg1",'
    b'"history":[{"created":"2026-11-23T03:02:09.363588155Z","comment":"my import"}],'
    b'"os":"linux","rootfs":{"type":"layers","diff_ids":'
    b'["sha256:f524f856baeb46e6cfc254b55cef36b468ceb53b3ea697b1e849fe7c8a15f8cb"]}}'
)
DIFF = "sha256:f524f856baeb46e6cfc254b55cef36b468ceb53b3ea697b1e849fe7c8a15f8cb"
CLOCK = GoTime.parse("2026-11-23T03:02:09.363588155Z")


def rootfs_tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = 6
        tar.addfile(info, io.BytesIO(b"hello\n"))
    return buf.getvalue()


@pytest.mark.parametrize("compat", [Compat.V20_10, Compat.V28])
def test_config_bytes_match_spec_example(compat: Compat) -> None:
    raw = build_import_config(
        DIFF,
        changes=['CMD ["/bin/sh"]'],
        message="my import",
        platform="linux/amd64",
        docker_version="20.10.24+dfsg1",
        now=lambda: CLOCK,
        compat=compat,
    )
    assert raw == SPEC_EXAMPLE


def test_config_without_changes_has_zero_config_and_no_comment() -> None:
    raw = build_import_config(DIFF, platform="linux/arm64/v8", now=lambda: CLOCK)
    img = Image.from_json(raw)
    assert img.config is not None
    assert img.config.cmd is None
    assert img.comment == ""
    assert img.architecture == "arm64"
    assert img.variant == ""
    assert b'"history":[{"created":"2026-11-23T03:02:09.363588155Z"}]' in raw
    assert b'"docker_version":"' + dockyard.__version__.encode() + b'"' in raw


def test_changes_shell_and_json_forms() -> None:
    cfg = apply_changes(
        dockyard.image.ContainerConfig(),
        [
            'ENV A=1 B="two words"',
            "ENV C=$A-${B}",
            "CMD echo hi",
            'ENTRYPOINT ["/bin/tini", "--"]',
            "EXPOSE 80 53/udp 8000-8001",
            'LABEL a=b "c d"=e',
            "VOLUME /data /logs",
            "WORKDIR /srv\nWORKDIR app",
            "USER $A",
            "ONBUILD RUN make",
            "HEALTHCHECK --interval=1m30s --retries=3 CMD curl -f http://x/",
        ],
    )
    assert cfg.env == ["A=1", "B=two words", "C=1-two words"]
    assert cfg.cmd == ["/bin/sh", "-c", "echo hi"]  # set before ENTRYPOINT: kept
    assert cfg.entrypoint == ["/bin/tini", "--"]
    assert cfg.exposed_ports == {"80/tcp", "53/udp", "8000/tcp", "8001/tcp"}
    assert cfg.labels == {"a": "b", "c d": "e"}
    assert cfg.volumes == {"/data", "/logs"}
    assert cfg.working_dir == "/srv/app"
    assert cfg.user == "1"
    assert cfg.on_build == ["RUN make"]
    assert cfg.healthcheck is not None
    assert cfg.healthcheck.test == ["CMD-SHELL", "curl -f http://x/"]
    assert cfg.healthcheck.interval == 90 * 10**9
    assert cfg.healthcheck.retries == 3


def test_entrypoint_resets_cmd_set_earlier_only_by_other_changes() -> None:
    cfg = apply_changes(dockyard.image.ContainerConfig(cmd=["x"]), ["ENTRYPOINT top"])
    assert cfg.cmd is None
    assert cfg.entrypoint == ["/bin/sh", "-c", "top"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("RUN echo", "run is not a valid change command"),
        ("STOPSIGNAL 9", "stopsignal is not a valid change command"),
        ("FROM x", "from is not a valid change command"),
        ("ENV", "ENV requires at least one argument"),
        ("ENV a=1 b", 'Syntax error - can\'t find = in "b". Must be of the form: name=value'),
        ("USER", "USER requires exactly one argument"),
        ("ONBUILD ONBUILD RUN x", "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"),
        ("EXPOSE abc", "invalid containerPort: abc"),
    ],
)
def test_invalid_changes(change: str, message: str) -> None:
    with pytest.raises(InvalidChange) as info:
        apply_changes(dockyard.image.ContainerConfig(), [change])
    assert str(info.value) == message


def test_parse_duration_and_platform() -> None:
    assert parse_duration("1h2m3.5s") == (3723 * 10**9 + 5 * 10**8)
    assert parse_platform("linux/x86_64") == ("linux", "amd64", "")
    assert parse_platform("linux/armhf") == ("linux", "arm", "v7")
    with pytest.raises(UnsupportedOS):
        parse_platform("windows/amd64")


def test_import_gzip_tags_and_sets_last_updated(tmp_path: Path) -> None:
    client = dockyard.open(tmp_path / "store")
    source = tmp_path / "rootfs.tar.gz"
    source.write_bytes(gzip.compress(rootfs_tar()))
    events: list[Progress] = []
    image_id = import_image(
        client, source, "test/imp:v1", changes=['CMD ["/bin/sh"]'], message="m",
        progress=events.append, now=lambda: CLOCK,
    )  # fmt: skip
    img = client.image_store.get(image_id)
    assert img.config is not None
    assert img.config.cmd == ["/bin/sh"]
    assert img.comment == "m"
    assert client.reference_store.get("test/imp:v1") == image_id
    assert client.image_store.get_last_updated(image_id) is not None
    assert events
    assert events[-1].done
    layer = client.image_store.layer(image_id)
    assert layer is not None
    assert img.rootfs is not None
    assert img.rootfs.diff_ids == [layer.diff_id]
    # the same input again gives the same image
    again = import_image(client, io.BytesIO(rootfs_tar()), "test/imp:v2", now=lambda: CLOCK,
                         changes=['CMD ["/bin/sh"]'], message="m")  # fmt: skip
    assert again == image_id


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"changes": ["RUN x"]}, InvalidChange),
        ({"reference": "Bad:Name"}, InvalidReference),
        ({"reference": "a@sha256:" + "0" * 64}, InvalidReference),
        ({"platform": "windows"}, UnsupportedOS),
    ],
)
def test_bad_arguments_change_nothing(tmp_path: Path, kwargs: dict[str, Any], error: type) -> None:
    client = dockyard.open(tmp_path / "store")
    with pytest.raises(error):
        import_image(client, io.BytesIO(rootfs_tar()), **kwargs)
    assert client.image_store.ids() == []
    assert client.layer_store.map() == {}


def test_not_a_tar_changes_nothing(tmp_path: Path) -> None:
    client = dockyard.open(tmp_path / "store")
    with pytest.raises(DockyardError) as info:
        import_image(client, io.BytesIO(b"x" * 700), "a:b")
    assert isinstance(info.value, InvalidLayer)
    assert client.image_store.ids() == []
    assert client.layer_store.map() == {}
    assert list(client.reference_store) == []
