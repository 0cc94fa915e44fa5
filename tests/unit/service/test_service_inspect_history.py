"""inspect and history details beyond the oracle images."""

from __future__ import annotations

from typing import Any

import pytest

import dockyard
from dockyard.errors import ImageNotFound, InvalidArgumentError
from dockyard.service.history import MISSING, history
from dockyard.service.inspect import inspect_image
from dockyard.service.tags import tag_image
from tests.unit.service.builder import Builder


def test_v150_config_shape(svc: dockyard.Client, build: Builder):
    build.image(
        [{"a": b"a"}],
        tags=("app",),
        config={
            "Env": [],
            "Cmd": None,
            "Labels": {"b": "2", "a": "1"},
            "Healthcheck": {"Test": ["CMD", "true"], "Interval": 5_000_000_000, "Retries": 3},
            "Shell": ["/bin/bash", "-c"],
            "ArgsEscaped": True,
            "Hostname": "abc",
        },
        extra={"variant": "v8", "comment": "", "author": "me"},
    )
    info = inspect_image(svc, "app")
    assert info["Config"] == {
        "ArgsEscaped": True,
        "Cmd": None,
        "Entrypoint": None,
        "Env": None,
        "Healthcheck": {"Interval": 5_000_000_000, "Retries": 3, "Test": ["CMD", "true"]},
        "Labels": {"a": "1", "b": "2"},
        "OnBuild": None,
        "Shell": ["/bin/bash", "-c"],
        "User": "",
        "Volumes": None,
        "WorkingDir": "",
    }
    assert list(info["Config"]) == sorted(info["Config"])
    assert info["Variant"] == "v8"
    assert info["Author"] == "me"
    assert info["Comment"] == ""
    assert "Container" not in info
    assert "VirtualSize" not in info


def test_v141_config_keeps_null_and_empty(svc: dockyard.Client, build: Builder):
    build.image([{"a": b"a"}], tags=("app",), config={"Env": [], "Cmd": None})
    info = inspect_image(svc, "app", compat="v1.41")
    assert info["Config"]["Env"] == []
    assert info["Config"]["Cmd"] is None
    assert info["Config"]["Hostname"] == ""
    assert info["VirtualSize"] == info["Size"] > 0
    assert info["Container"] == ""
    assert info["ContainerConfig"]["Env"] is None


def test_missing_created_comment_fallback_and_no_config(svc: dockyard.Client, build: Builder):
    build.image(
        [],
        created=None,
        tags=("bare",),
        history=[{"comment": "from history", "empty_layer": True}],
        extra={"config": None},
    )
    info = inspect_image(svc, "bare")
    assert "Created" not in info
    assert info["Comment"] == "from history"
    assert info["Size"] == 0
    assert info["RootFS"] == {"Type": "layers"}
    assert info["Config"]["Cmd"] is None
    assert info["Config"]["User"] == ""
    legacy = inspect_image(svc, "bare", compat="v1.41")
    assert legacy["Created"] == "0001-01-01T00:00:00Z"
    assert legacy["Comment"] == ""
    assert legacy["Config"] is None


def test_last_tag_time_and_repo_digests(svc: dockyard.Client, build: Builder):
    image_id = build.image([{"a": b"a"}])
    assert inspect_image(svc, str(image_id))["Metadata"] == {"LastTagTime": "0001-01-01T00:00:00Z"}
    tag_image(svc, str(image_id), "app:1")
    svc.reference_store.add_digest("app@sha256:" + "c" * 64, image_id)
    info = inspect_image(svc, "app:1")
    assert info["Metadata"]["LastTagTime"] != "0001-01-01T00:00:00Z"
    assert info["RepoTags"] == ["app:1"]
    assert info["RepoDigests"] == ["app@sha256:" + "c" * 64]


def test_inspect_errors(svc: dockyard.Client, build: Builder):
    build.image([{"a": b"a"}], tags=("app",))
    with pytest.raises(ImageNotFound, match="No such image: nope:latest"):
        inspect_image(svc, "nope")
    with pytest.raises(InvalidArgumentError):
        inspect_image(svc, "app", compat="v9")


def test_history_walks_parents_then_missing(svc: dockyard.Client, build: Builder):
    base_hist: list[dict[str, Any]] = [
        {"created": "2026-01-01T00:00:00Z", "created_by": "ADD base", "comment": "c0"},
        {"created": "2026-01-01T00:00:01Z", "created_by": "ENV x", "empty_layer": True},
    ]
    base = build.image([{"a": b"aaaa"}], history=base_hist, tags=("base:1", "base:2"))
    child_hist = [
        *base_hist,
        {"created": "2026-01-02T00:00:00Z", "created_by": "RUN b"},
        {"created": "2026-01-02T00:00:01Z", "created_by": "CMD c", "empty_layer": True},
    ]
    child = build.image([{"a": b"aaaa"}, {"b": b"bb"}], history=child_hist, parent=base)
    rows = history(svc, str(child))
    assert [r.created_by for r in rows] == ["CMD c", "RUN b", "ENV x", "ADD base"]
    assert [r.id for r in rows] == [child, base, MISSING, MISSING]
    assert rows[0].tags is None
    assert rows[1].tags == ("base:1", "base:2")
    assert rows[0].size == 0
    assert rows[2].size == 0
    assert rows[1].size > 0
    assert rows[3].size > 0
    assert rows[3].comment == "c0"
    assert rows[3].created == 1767225600
    assert rows[1].to_api()["Tags"] == ["base:1", "base:2"]
    assert [r.id for r in history(svc, "base:1")] == [base, MISSING]


def test_history_without_parent_or_created(svc: dockyard.Client, build: Builder):
    image_id = build.image([{"a": b"a"}], history=[{"created_by": "x"}])
    (row,) = history(svc, str(image_id))
    assert row.id == image_id
    assert row.created == 0
    assert history(svc, str(build.image([], history=[]))) == []
