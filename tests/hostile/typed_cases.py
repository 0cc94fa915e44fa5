"""Archives that probe Go's decoding rules and Docker's extraction, and what must happen.

:data:`REFUSED` maps a case to the typed error and exact message dockyard gives (Docker's
own wording, with ``/`` standing for Docker's extraction directory); :data:`ACCEPTED` maps
a case to the output of a load that succeeds, as Docker's. What Docker 20.10 answered for
every case is in ``docker_answers.json`` (``record_answers.py`` asks it again).
"""

from __future__ import annotations

import hashlib
import json
import tarfile
from collections.abc import Callable
from dataclasses import dataclass

from dockyard.errors import (
    DockyardError,
    InvalidArchive,
    InvalidImageConfig,
    InvalidReference,
)
from tests.hostile.builders import Crafted, Entry, config_for, docker_archive, layer_tar, sha

LAYER = layer_tar({"hello.txt": b"hello\n"})
CONFIG = config_for([LAYER])
CONFIG_NAME = hashlib.sha256(CONFIG).hexdigest() + ".json"
V1 = "0" * 64
LAYER_PATH = f"{V1}/layer.tar"
LOADED = "Loaded image: crafted/img:1\n"
BIG = "9" * 5000  # more digits than Python's int() takes by default


@dataclass(frozen=True)
class Refused:
    """A load that must fail with ``error`` and exactly ``message``.

    ``as_docker`` is False where dockyard words the error as Docker 28 does and Docker
    20.10 words it otherwise (times: Go 1.19 quotes the JSON string and its layout).
    """

    build: Callable[[], bytes]
    error: type[DockyardError]
    message: str
    as_docker: bool = True


@dataclass(frozen=True)
class Accepted:
    """A load that must succeed and print ``output``."""

    build: Callable[[], bytes]
    output: str


def _j(value: object) -> str:
    return json.dumps(value)


def _object(*pairs: tuple[str, str]) -> str:
    """A JSON object from (key, raw JSON value) pairs: duplicates and any text kept."""
    return "{" + ",".join(f"{_j(k)}:{v}" for k, v in pairs) + "}"


_STANDARD = (("Config", _j(CONFIG_NAME)), ("RepoTags", _j(["crafted/img:1"])),
             ("Layers", _j([LAYER_PATH])))  # fmt: skip


def _item(*extra: tuple[str, str], drop: tuple[str, ...] = ()) -> str:
    return _object(*(p for p in _STANDARD if p[0] not in drop), *extra)


def manifest(*items: str, config: bytes | None = None, layers: int = 1) -> Crafted:
    """The standard one-layer archive with ``manifest.json`` holding ``items`` verbatim."""
    text = ("[" + ",".join(items) + "]").encode()
    cfg = config if config is not None else config_for([LAYER] * layers)
    return docker_archive([LAYER], config=cfg, manifest=text)


def item(*extra: tuple[str, str], drop: tuple[str, ...] = ()) -> bytes:
    """An archive whose manifest item has ``extra`` pairs (and not the ``drop`` keys)."""
    return manifest(_item(*extra, drop=drop)).build()


def config_with(extra: str) -> bytes:
    """An archive whose config has ``extra`` (raw JSON members) added at its end."""
    return docker_archive([LAYER], config=CONFIG[:-1] + b"," + extra.encode() + b"}").build()


def big_config(size: int) -> bytes:
    """A valid config of exactly ``size`` bytes (a long string in a key Go ignores)."""
    head = CONFIG[:-1] + b',"zzpad":"'
    return head + b"x" * (size - len(head) - 2) + b'"}'


def _size(value: str) -> bytes:
    sources = _object((sha(LAYER), _object(("size", value))))
    return item(("LayerSources", sources))


def _renamed(prefix: str) -> bytes:
    crafted = docker_archive([LAYER])
    for entry in crafted.entries:
        entry.name = prefix + entry.name
    return crafted.build()


def _link(kind: bytes, name: str, target: str, *, config: str = "") -> bytes:
    crafted = manifest(_item(("Config", _j(config or name)), drop=("Config",)))
    return crafted.add(name, kind=kind, link=target).build()


def _symlinked_layer_dir() -> bytes:
    crafted = manifest(_item(("Layers", _j(["l/layer.tar"])), drop=("Layers",)))
    return crafted.add("l", kind=tarfile.SYMTYPE, link="/" + V1).build()


def _hardlink_to_directory() -> bytes:
    crafted = manifest(_item(("Layers", _j([LAYER_PATH, "h"])), drop=("Layers",)), layers=2)
    return crafted.add("h", kind=tarfile.LNKTYPE, link=V1).build()


def _hardlink_to_symlink() -> bytes:
    crafted = manifest(_item(("Config", _j("h.json")), drop=("Config",)))
    crafted.add("s.json", kind=tarfile.SYMTYPE, link=CONFIG_NAME)
    return crafted.add("h.json", kind=tarfile.LNKTYPE, link="s.json").build()


def _replaced(first: Entry, second: Entry) -> bytes:
    crafted = manifest(_item(("Config", _j("c.json")), drop=("Config",)))
    crafted.entries.insert(0, first)
    crafted.entries.append(second)
    return crafted.build()


def _directory_config() -> bytes:
    crafted = manifest(_item(("Config", _j("d")), drop=("Config",)))
    return crafted.add("d/", kind=tarfile.DIRTYPE).build()


def _legacy(repositories: str, image_json: str) -> bytes:
    v1 = "ab" * 32
    crafted = Crafted().add(f"{v1}/", kind=tarfile.DIRTYPE).add(f"{v1}/layer.tar", LAYER)
    crafted.add(f"{v1}/json", image_json.encode("utf-8", "surrogateescape"))
    return crafted.add("repositories", repositories.encode()).build()


def _legacy_tagged(image_json: str) -> bytes:
    return _legacy(_j({"crafted/img": {"1": "ab" * 32}}), image_json)


def _record(key: str, value: str) -> bytes:
    """One PAX record, ``<length> <key>=<value>\n``, its length counting itself."""
    body = f" {key}={value}\n"
    size = len(body) + 1
    while len(str(size)) + len(body) != size:
        size = len(str(size)) + len(body)
    return f"{size}{body}".encode()


def _pax(records: bytes) -> bytes:
    """A PAX header with ``records`` before the standard archive."""
    header = tarfile.TarInfo("././@PaxHeader")
    header.type, header.size = tarfile.XHDTYPE, len(records)
    block = header.tobuf(tarfile.USTAR_FORMAT)
    padding = b"\0" * (-len(records) % 512)
    return block + records + padding + docker_archive([LAYER]).build()


def _go_type(value: str, struct_field: str, go_type: str) -> str:
    return f"json: cannot unmarshal {value} into Go struct field {struct_field} of type {go_type}"


_ITEM = "manifestItem"
_SOURCES = "Descriptor.LayerSources.size"
V1_JSON = '{"id":"' + "ab" * 32 + '","created":"2024-01-02T03:04:05Z"'

REFUSED: dict[str, Refused] = {
    # manifest.json: wrong JSON types, as Go reports them
    "manifest-repotags-number": Refused(
        lambda: item(("RepoTags", "5"), drop=("RepoTags",)), InvalidArchive,
        _go_type("number", f"{_ITEM}.RepoTags", "[]string")),
    "manifest-repotags-bool": Refused(
        lambda: item(("RepoTags", "true"), drop=("RepoTags",)), InvalidArchive,
        _go_type("bool", f"{_ITEM}.RepoTags", "[]string")),
    "manifest-repotags-string": Refused(
        lambda: item(("RepoTags", _j("crafted/img:1")), drop=("RepoTags",)), InvalidArchive,
        _go_type("string", f"{_ITEM}.RepoTags", "[]string")),
    "manifest-repotags-element-number": Refused(
        lambda: item(("RepoTags", "[5]"), drop=("RepoTags",)), InvalidArchive,
        _go_type("number", f"{_ITEM}.RepoTags", "string")),
    "manifest-repotags-element-null": Refused(
        lambda: item(("RepoTags", "[null]"), drop=("RepoTags",)), InvalidReference,
        "invalid reference format"),
    "manifest-repotags-empty-string": Refused(
        lambda: item(("RepoTags", '[""]'), drop=("RepoTags",)), InvalidReference,
        "invalid reference format"),
    "manifest-config-number": Refused(
        lambda: item(("Config", "5"), drop=("Config",)), InvalidArchive,
        _go_type("number", f"{_ITEM}.Config", "string")),
    "manifest-config-null": Refused(
        lambda: item(("Config", "null"), drop=("Config",)), InvalidArchive,
        "read /: is a directory"),
    "manifest-config-directory": Refused(
        _directory_config, InvalidArchive, "read d: is a directory"),
    "manifest-is-directory": Refused(
        lambda: Crafted().add("manifest.json/", kind=tarfile.DIRTYPE).add("x", b"1").build(),
        InvalidArchive, "read manifest.json: is a directory"),
    "manifest-layers-string": Refused(
        lambda: item(("Layers", _j(LAYER_PATH)), drop=("Layers",)), InvalidArchive,
        _go_type("string", f"{_ITEM}.Layers", "[]string")),
    "manifest-layers-element-null": Refused(
        lambda: item(("Layers", "[null]"), drop=("Layers",)), InvalidArchive,
        "read /: is a directory"),
    "manifest-parent-number": Refused(
        lambda: item(("Parent", "5")), InvalidArchive,
        _go_type("number", f"{_ITEM}.Parent", "image.ID")),
    "manifest-layersources-number": Refused(
        lambda: item(("LayerSources", "5")), InvalidArchive,
        _go_type("number", f"{_ITEM}.LayerSources",
                 "map[layer.DiffID]distribution.Descriptor")),
    "manifest-layersources-urls-number": Refused(
        lambda: item(("LayerSources", _object((sha(LAYER), _object(("urls", "5")))))),
        InvalidArchive, _go_type("number", "Descriptor.LayerSources.urls", "[]string")),
    "manifest-item-number": Refused(
        lambda: manifest("5").build(), InvalidArchive,
        "json: cannot unmarshal number into Go value of type tarexport.manifestItem"),
    "manifest-first-type-error-wins": Refused(
        lambda: manifest(_object(("RepoTags", "5"), ("Config", "7"),
                                 ("Layers", _j([LAYER_PATH])))).build(),
        InvalidArchive, _go_type("number", f"{_ITEM}.RepoTags", "[]string")),
    "manifest-duplicate-key-last-wins": Refused(
        lambda: item(("config", _j("missing.json"))), InvalidArchive,
        "open missing.json: no such file or directory"),
    "manifest-too-deep": Refused(
        lambda: item(("Extra", "[" * 10001 + "]" * 10001)), InvalidArchive,
        "invalid character '[' exceeded max depth"),
    # numbers limited as Go limits them
    "manifest-size-string": Refused(
        lambda: _size('"x"'), InvalidArchive, _go_type("string", _SOURCES, "int64")),
    "manifest-size-1e30": Refused(
        lambda: _size("1e30"), InvalidArchive, _go_type("number 1e30", _SOURCES, "int64")),
    "manifest-size-5000-digits": Refused(
        lambda: _size(BIG), InvalidArchive, _go_type(f"number {BIG}", _SOURCES, "int64")),
    "manifest-size-int64-overflow": Refused(
        lambda: _size("9223372036854775808"), InvalidArchive,
        _go_type("number 9223372036854775808", _SOURCES, "int64")),
    "manifest-size-negative-zero-float": Refused(
        lambda: _size("-0.0"), InvalidArchive, _go_type("number -0.0", _SOURCES, "int64")),
    "config-size-1e30": Refused(
        lambda: config_with('"Size":1e30'), InvalidImageConfig,
        _go_type("number 1e30", "Image.Size", "int64")),
    "config-size-5000-digits": Refused(
        lambda: config_with(f'"Size":{BIG}'), InvalidImageConfig,
        _go_type(f"number {BIG}", "Image.Size", "int64")),
    "config-size-float": Refused(
        lambda: config_with('"Size":1.5'), InvalidImageConfig,
        _go_type("number 1.5", "Image.Size", "int64")),
    "config-healthcheck-interval-1e30": Refused(
        lambda: config_with('"config":{"Healthcheck":{"Interval":1e30}}'), InvalidImageConfig,
        _go_type("number 1e30", "HealthConfig.config.Healthcheck.Interval", "time.Duration")),
    # config fields the loader reads: innermost struct, path of keys (no map keys)
    "config-diff-ids-number": Refused(
        lambda: docker_archive(
            [LAYER], config=b'{"os":"linux","rootfs":{"type":"layers","diff_ids":5}}').build(),
        InvalidImageConfig, _go_type("number", "RootFS.rootfs.diff_ids", "[]layer.DiffID")),
    "config-env-number": Refused(
        lambda: config_with('"config":{"Env":5}'), InvalidImageConfig,
        _go_type("number", "Config.config.Env", "[]string")),
    "config-labels-value-number": Refused(
        lambda: config_with('"config":{"Labels":{"a":1}}'), InvalidImageConfig,
        _go_type("number", "Config.config.Labels", "string")),
    "config-exposed-ports-value-number": Refused(
        lambda: config_with('"config":{"ExposedPorts":{"80/tcp":5}}'), InvalidImageConfig,
        _go_type("number", "Config.config.ExposedPorts", "struct {}")),
    "config-history-created-by-number": Refused(
        lambda: config_with('"history":[{"created_by":5}]'), InvalidImageConfig,
        _go_type("number", "History.history.created_by", "string")),
    "config-first-of-two-type-errors": Refused(
        lambda: config_with('"Size":"x","architecture":5'), InvalidImageConfig,
        _go_type("string", "Image.Size", "int64")),
    # times: strict RFC 3339, ASCII digits only; a time error comes before a type error
    "config-created-fullwidth-digits": Refused(
        lambda: config_with('"created":"\uff12\uff10\uff12\uff10-01-02T03:04:05Z"'),
        InvalidImageConfig,
        'parsing time "\uff12\uff10\uff12\uff10-01-02T03:04:05Z" as '
        '"2006-01-02T15:04:05Z07:00": cannot parse', as_docker=False),
    "config-type-error-then-time-error": Refused(
        lambda: config_with('"Size":"x","created":"garbage"'), InvalidImageConfig,
        'parsing time "garbage" as "2006-01-02T15:04:05Z07:00": cannot parse', as_docker=False),
    # legacy archives: Docker's anonymous struct and repositories map
    "legacy-json-os-number": Refused(
        lambda: _legacy_tagged(V1_JSON + ',"os":5}'), InvalidArchive,
        _go_type("number", ".OS", "string")),
    "legacy-json-parent-number": Refused(
        lambda: _legacy_tagged(V1_JSON + ',"parent":5}'), InvalidArchive,
        _go_type("number", ".Parent", "string")),
    "legacy-repositories-array": Refused(
        lambda: _legacy("[]", V1_JSON + "}"), InvalidArchive,
        "json: cannot unmarshal array into Go value of type map[string]map[string]string"),
    "legacy-repositories-number": Refused(
        lambda: _legacy('{"crafted/img": 5}', V1_JSON + "}"), InvalidArchive,
        "json: cannot unmarshal number into Go value of type map[string]string"),
    # extraction: links and replaced members
    "hardlink-to-directory": Refused(
        _hardlink_to_directory, InvalidArchive, f"link /{V1} /h: operation not permitted"),
    "symlink-replaces-file": Refused(
        lambda: _replaced(Entry("c.json", CONFIG), Entry("c.json", b"", tarfile.SYMTYPE,
                                                         "missing")),
        InvalidArchive, "open /missing: no such file or directory"),
    # tar numbers beyond int64 (Go's strconv.ParseInt fails: a header error)
    "pax-record-length-5000-digits": Refused(
        lambda: _pax(BIG.encode() + b" path=x\n"), InvalidArchive,
        "archive/tar: invalid tar header"),
    "pax-mtime-5000-digits": Refused(
        lambda: _pax(_record("mtime", BIG)), InvalidArchive,
        "archive/tar: invalid tar header"),
}  # fmt: skip

ACCEPTED: dict[str, Accepted] = {
    # member names and link targets taken inside the archive root, as Docker extracts them
    "member-absolute": Accepted(
        lambda: docker_archive().add("/tmp/evil", b"x").build(), LOADED),
    "member-dotdot": Accepted(lambda: docker_archive().add("../evil", b"x").build(), LOADED),
    "member-nested-dotdot": Accepted(
        lambda: docker_archive().add("a/../../evil", b"x").build(), LOADED),
    "names-all-absolute": Accepted(lambda: _renamed("/"), LOADED),
    "names-all-dotdot": Accepted(lambda: _renamed("../"), LOADED),
    "hardlink-absolute-existing": Accepted(
        lambda: _link(tarfile.LNKTYPE, "h.json", "/" + CONFIG_NAME), LOADED),
    "hardlink-dotdot-existing": Accepted(
        lambda: _link(tarfile.LNKTYPE, "h.json", "../" + CONFIG_NAME), LOADED),
    "hardlink-to-symlink": Accepted(_hardlink_to_symlink, LOADED),
    "symlink-directory-absolute": Accepted(_symlinked_layer_dir, LOADED),
    "file-replaces-symlink": Accepted(
        lambda: _replaced(Entry("c.json", b"", tarfile.SYMTYPE, "missing"),
                          Entry("c.json", CONFIG)), LOADED),
    # Go's key matching: exact first, else case-insensitive; the last key wins
    "manifest-duplicate-fold-then-exact": Accepted(
        lambda: manifest(_object(("config", _j("missing.json")), *_STANDARD)).build(), LOADED),
    "manifest-duplicate-exact-twice": Accepted(
        lambda: manifest(_object(("Config", _j("missing.json")), *_STANDARD)).build(), LOADED),
    "manifest-duplicate-fold-fold": Accepted(
        lambda: manifest(_object(("CONFIG", _j("missing.json")), ("config", _j(CONFIG_NAME)),
                                 *_STANDARD[1:])).build(), LOADED),
    "config-duplicate-os-last-wins": Accepted(
        lambda: config_with('"os":"windows","Os":"linux"'), LOADED),
    "legacy-json-duplicate-parent-last-wins": Accepted(
        lambda: _legacy_tagged(V1_JSON + ',"parent":"' + "cd" * 32 + '","Parent":""}'), ""),
    # what Go never looks at cannot fail
    "manifest-ignored-huge-numbers": Accepted(
        lambda: item(("Extra", "1e400"), ("Big", BIG)), LOADED),
    "manifest-ignored-deep-nesting": Accepted(
        lambda: item(("Extra", "[" * 300 + "]" * 300)), LOADED),
    "manifest-size-int64-max": Accepted(lambda: _size("9223372036854775807"), LOADED),
    "manifest-parent-not-a-digest": Accepted(lambda: item(("Parent", _j("garbage"))), LOADED),
    "config-ignored-5000-digits": Accepted(lambda: config_with(f'"zzz":{BIG}'), LOADED),
    "config-ignored-deep-nesting": Accepted(
        lambda: config_with('"zz":' + "[" * 300 + "]" * 300), LOADED),
    # Docker has no limit on a config: 20 MiB and 64 MiB ones load (also from a pipe)
    "config-20mib": Accepted(
        lambda: docker_archive([LAYER], config=big_config(20 << 20)).build(), LOADED),
    "config-64mib": Accepted(
        lambda: docker_archive([LAYER], config=big_config(64 << 20)).build(), LOADED),
    # Go copies the raw bytes of the v1 JSON into the config, invalid UTF-8 included
    "legacy-json-invalid-utf8": Accepted(
        lambda: _legacy_tagged(V1_JSON + ',"config":{"User":"\udced\udcb3\udcbf"}}'), ""),
}  # fmt: skip
