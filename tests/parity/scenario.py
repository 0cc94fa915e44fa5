"""The parity scenario: every command, flag, filter, format and error path, in order.

The steps run one after another on a store that both sides build the same way (empty,
then the oracle's archives loaded, tagged, removed, pruned, imported). Arguments are
written as a shell would split them (:func:`shlex.split`); ``{{`` templates are quoted.
The image IDs are those of the Docker 28.3 oracle archives.
"""

from __future__ import annotations

import shlex

from tests.parity.runner import Step

__all__ = ["SCENARIO"]

BASE = "926ad729a8a2"
BASE_ID = "sha256:926ad729a8a2a47f0800d3aadbe9ecfb0ceb4f2424dd9111d5fec71ad719a84a"
APP = "ea4af2c1b370"
GRAND = "35ef18d1705d"
UNTAGGED = "beb3287e1b62"

#: ``system df`` forms that Docker 20.10's client prints differently (it also prints the
#: summary table with ``-v``; its JSON keys differ).
V20_DF = ("system df -v", "system df --verbose", "system df --format json")

#: The inspect JSON of a 20.10 daemon is API 1.41's; dockyard prints 1.50's by default.
API41 = ("inspect-graph-driver",)


def s(command: str, **options: object) -> Step:
    """A step from a command line (``dockyard=``/``docker=`` take command lines too)."""
    for key in ("docker", "dockyard"):
        if isinstance(options.get(key), str):
            options[key] = tuple(shlex.split(str(options[key])))
    if isinstance(options.get("allow"), str):
        options["allow"] = (options["allow"],)
    return Step(tuple(shlex.split(command)), **options)  # type: ignore[arg-type]


def _usage() -> list[Step]:
    """Usage errors: unknown flags, missing and extra arguments, bad flag values."""
    steps = [s(f"{cmd} --bogus", v20=True) for cmd in (
        "images", "image ls", "image list", "inspect x", "image inspect x", "history x",
        "image history x", "rmi x", "image rm x", "image prune", "system df",
        "load", "save x", "import x")]
    steps += [s("tag --bogus a b", v20=True), s("tag a b --bogus", v20=True),
              s("export x --bogus", v20=True, allow="export-takes-an-image")]
    steps += [
        s("images -z", v20=True),
        s("images -aq --bogus=1", v20=True),
        s("history", v20=True),
        s("history a b", v20=True),
        s("image history", v20=True),
        s("tag a", v20=True),
        s("tag a b c", v20=True),
        s("image tag", v20=True),
        s("rmi", v20=True),
        s("image rm", v20=True),
        s("image remove", v20=True),
        s("inspect", v20=True),
        s("image inspect", v20=True),
        s("save", v20=True),
        s("image save", v20=True),
        s("load extra", v20=True),
        s("image load a b", v20=True),
        s("image prune extra", v20=True),
        s("system df extra", v20=True),
        s("import", v20=True),
        s("image import", v20=True),
        s("export", v20=True, allow="export-takes-an-image"),
        s("export a b", v20=True, allow="export-takes-an-image"),
        s("images a b", v20=True, allow="usage-typo-28"),
        s("image ls a b c", v20=True, allow="usage-typo-28"),
        s("history -H=maybe x", v20=True),
        s("history --human=2 x", v20=True),
        s("history -H false x", v20=True),
        s("save -o", v20=True),
        s("load -i", v20=True),
        s("images --format", v20=True),
        s("images -f label", v20=True),
        s("images --filter nokey", v20=True),
        s("image prune --filter nokey", v20=True),
    ]
    return steps


def _empty() -> list[Step]:
    return [
        s("images"),
        s("images -a"),
        s("images -q"),
        s("images --format json"),
        s("system df"),
        s("system df -v"),
        s("image prune -f"),
        s("image prune -a -f"),
    ]


def _load() -> list[Step]:
    return [
        s("load -i base.tar", mutates=True, allow="progress-lines"),
        s("load", stdin="app.tar", mutates=True, allow="progress-lines"),
        s("load -q -i scratch.tar", mutates=True),
        s("image load --input untagged.tar", mutates=True),
        s("load --quiet --input multi.tar", mutates=True),
        s("load -q -i base.tar"),
        s("load -i garbage.txt"),
        s("load -i nosuch.tar"),
        s("load -i empty.tar", allow="load-temp-path", v20=True),
    ]


def _images() -> list[Step]:
    steps = [s(c) for c in (
        "images", "images -a", "image ls", "image list --all", "images -q", "images -aq",
        "images --digests", "images --no-trunc", "images -q --no-trunc", "images oracle/app",
        "images oracle/app:1", "images oracle/app:nosuch", "images 'oracle/*'", "images nosuch",
        "images Bad:x",
    )]
    steps += [s(f"images --filter {f}") for f in (
        "dangling=true", "dangling=false", "dangling=TRUE", "label=org.example.role",
        "label=org.example.role=app", "label=org.example.role=nope", "label=nope",
        "before=oracle/app:1", "since=oracle/base:1", f"since={BASE}",
        "reference='oracle/*'", "reference='*/app'", "reference=oracle/app:1",
        "reference=oracle/app:latest",
    )]
    steps += [s(f"images --filter {f}", allow="images-until-20.10") for f in (
        "until=2000-01-01T00:00:00", "until=1h", "until=2099-01-01", "until=bogus")]
    steps += [
        s("images -a -f dangling=true"),
        s("images -f dangling=false -f label=org.example.role"),
        s("images -f reference=oracle/base -f reference=oracle/scratch"),
        s("images -f since=oracle/base:1 -f before=oracle/grand:1"),
        s("images -f dangling=maybe"),
        s("images -f dangling=true -f dangling=false"),
        s("images -f before=nosuch"),
        s("images -f since=nosuch:1"),
        s("images -f reference='['"),
        s("images -f bogus=1"),
        s("images -f Dangling=true"),
    ]
    steps += [s(f"images --format '{t}'", v20=t == "json") for t in (
        "table", "json", "{{.ID}}", "{{json .}}", "table {{.Repository}}\\t{{.Tag}}",
        "{{.Repository}}:{{.Tag}} {{.Size}}", "table {{.ID}}\\t{{.CreatedAt}}",
        "{{.Containers}} {{.SharedSize}} {{.UniqueSize}} {{.VirtualSize}}",
        "{{upper .Repository}} {{truncate .ID 4}}", "{{.Foo}}", "{{.Foo", "{{json .Digest}}",
        "table", "table {{.Repository}}\\t{{.CreatedSince}}",
    )]
    steps += [
        s("images --digests --format '{{.Repository}} {{.Digest}}'"),
        s("images --no-trunc --format json", v20=True),
        s("images -q --format '{{.Repository}}'"),
        s("images --format '' "),
    ]
    return steps


def _inspect() -> list[Step]:
    inspect = [s(c, dockyard=c.replace("inspect", "inspect --api 1.41", 1), allow=API41)
               for c in ("image inspect oracle/base:1",
                         "image inspect oracle/app:1 oracle/scratch:1",
                         f"image inspect {BASE}", f"image inspect {BASE_ID}", f"inspect {GRAND}")]
    return [
        *inspect,
        s("image inspect --format json oracle/base:1", dockyard="image inspect --api 1.41 "
          "--format json oracle/base:1", allow=API41, v20=True),
        s("image inspect nosuch/image:1", v20=True),
        s("image inspect oracle/base:1 nosuch:2", dockyard="image inspect --api 1.41 "
          "oracle/base:1 nosuch:2", allow=API41, v20=True),
        s("image inspect ''"),
        s("image inspect Oracle/Base:1"),
        s("image inspect a@@b"),
        s("image inspect oracle/base", v20=True),
        s("inspect nosuch/image:1"),
        s("inspect ''", v20=True),
        s("image inspect -f '{{.Id}}' oracle/base:1 oracle/app:1"),
        s("image inspect --format '{{json .Config.Env}}' oracle/app:1"),
        s("image inspect -f '{{.Os}}/{{.Architecture}} {{.Size}}' oracle/grand:1"),
        s("image inspect -f '{{range .RepoTags}}{{.}} {{end}}' oracle/app:1"),
        s("image inspect -f '{{index .Config.Labels \"org.example.role\"}}' oracle/app:1"),
        s("image inspect -f '{{.Foo}}' oracle/base:1"),
        s("image inspect -f '{{.Foo' oracle/base:1"),
        s("image inspect -f '{{.Id}}' oracle/base:1 nosuch:1", v20=True),
        s("inspect -f '{{.Config.Cmd}}' oracle/base:1"),
        s("inspect --format='{{.RootFS.Type}}' oracle/scratch:1"),
    ]


def _history() -> list[Step]:
    return [s(c, v20="--format json" in c) for c in (
        "history oracle/app:1", "image history oracle/base:1", f"history {UNTAGGED}",
        "history -H=false oracle/app:1", "history --human=false oracle/base:1",
        "history --human oracle/base:1", "history -q oracle/app:1", "history -q --no-trunc "
        "oracle/app:1", "history --no-trunc oracle/app:1", "history --format json oracle/base:1",
        "history --format '{{.ID}} {{.Size}}' oracle/app:1", "history --format table "
        "oracle/base:1", "history --format 'table {{.ID}}\\t{{.CreatedBy}}' oracle/base:1",
        "history --format '{{json .}}' oracle/base:1", "history -H=false --format "
        "'{{.CreatedSince}} {{.CreatedAt}}' oracle/base:1", "history --format '{{.Bogus}}' "
        "oracle/base:1",
    )] + [
        s("history nosuch/image:1"),
        s("history Oracle/Base:1"),
        s("history ''", allow="empty-name"),
        s(f"history {BASE}"),
    ]


def _tag() -> list[Step]:
    return [
        s("tag oracle/base:1 mine/base", mutates=True),
        s(f"image tag {BASE} registry.example.com:5000/x/y:z", mutates=True),
        s("tag oracle/base:1 other:2", mutates=True),
        s("tag oracle/scratch:1 other:2", mutates=True),
        s("images --format '{{.Repository}}:{{.Tag}} {{.ID}}'", allow="repo-order"),
        s("images", allow="repo-order"),
        s("image inspect -f '{{json .RepoTags}}' oracle/base:1 oracle/scratch:1"),
        s("inspect Oracle/Base:1"),
        s("tag nosuch/image:1 x/y:z"),
        s("tag oracle/base:1 BAD/Name:x", v20=True),
        s("tag Oracle/Base:1 x/y:z", v20=True),
        s(f"tag oracle/base:1 x/y@{BASE_ID}"),
        s("tag oracle/base:1 'x y'"),
        s("tag oracle/base:1 ''"),
    ]


def _save() -> list[Step]:
    return [
        s("save -o out.tar oracle/base:1", dockyard="save --format docker-legacy -o out.tar "
          "oracle/base:1", check="tar:out.tar", allow="progress-lines"),
        s("image save --output out.tar oracle/scratch:1 oracle/base:1", dockyard="image save "
          "--format docker-legacy --output out.tar oracle/scratch:1 oracle/base:1",
          check="tar:out.tar", allow="progress-lines"),
        s("save -o out.tar nosuch", allow="save-unknown-20.10"),
        s("save -o out.tar oracle/base:1 nosuch", allow="save-unknown-20.10"),
        s("save -o nodir/out.tar oracle/base:1", v20=True),
        s("save -o adir oracle/base:1", v20=True),
        s("save -o out.tar Oracle/Base:1"),
        s("save -o out.tar a@@b"),
    ]


def _rmi() -> list[Step]:
    return [
        s("rmi other:2", mutates=True),
        s(f"rmi {BASE}"),
        s(f"rmi {APP}"),
        s(f"rmi -f {APP}"),
        s("rmi nosuch/image:1", v20=True),
        s("rmi Oracle/Base:1"),
        s("rmi ''", allow="empty-name", v20=True),
        s("image rm 0123456789ab", v20=True),
        s("rmi mine/base nosuch:1", mutates=True),
        s("image remove --no-prune registry.example.com:5000/x/y:z", mutates=True),
        s("tag oracle/base:1 again:1", mutates=True),
        s(f"rmi -f {BASE}", mutates=True),
        s("images -a"),
        s("load -q -i base.tar", mutates=True),
        s("rmi oracle/grand:1", mutates=True),
    ]


def _prune() -> list[Step]:
    return [
        s("image prune", stdin="no.txt", v20=True),
        s("image prune --filter bogus=1 -f"),
        s("image prune -f --filter until=bogus"),
        s("image prune -f --filter until=2000-01-01T00:00:00"),
        s("image prune -f --filter label=nope"),
        s("image prune -a -f --filter label=nope"),
        s("image prune -f", mutates=True),
        s("images -a"),
        s("image prune", stdin="yes.txt", mutates=True),
        s("image prune -a --force --filter label!=org.example.role", mutates=True,
          allow="prune-order"),
        s("images -a"),
    ]


def _system_df() -> list[Step]:
    return [s(c, v20=c in V20_DF) for c in (
        "system df", "system df -v", "system df --verbose", "system df --format json",
        "system df --format '{{.Type}} {{.TotalCount}} {{.Size}}'",
        "system df --format 'table {{.Type}}\\t{{.Reclaimable}}'", "system df --format table",
        "system df --format '{{json .}}'", "system df --format '{{.Bogus}}'",
        "system df -v --format '{{json .}}'",
    )]


def _import() -> list[Step]:
    return [
        s("import rootfs.tar imp/one:1", mutates=True, allow="progress-lines"),
        s("import -c 'CMD [\"/bin/sh\"]' -c 'ENV A=b' -m 'my message' rootfs.tar imp/two:1",
          mutates=True, allow="progress-lines"),
        s("image import - imp/three", stdin="rootfs.tar", mutates=True,
          allow="progress-lines"),
        s("import --change 'LABEL x=y' rootfs.tar", mutates=True, allow="progress-lines"),
        s("images", allow=("same-second-order", "recent-times")),
        s("history imp/two:1", allow="recent-times"),
        s("image inspect -f '{{json .Config.Cmd}} {{.Comment}} {{.Config.Env}}' imp/two:1"),
        s("import nosuch.tar imp/x"),
        s("import nosuch.tar"),
        s("import -c 'RUN true' rootfs.tar imp/bad:1"),
        s("import rootfs.tar Imp/Bad", v20=True),
        s("import garbage.txt imp/garbage:1"),
        s("import nosuch.tar a b"),
        s("system df"),
        s("image prune -a -f --filter label=x=y", mutates=True),
    ]


def _export() -> list[Step]:
    create = (("create", "--name", "exp", "oracle/app:1"),)
    remove = (("rm", "exp"),)
    return [
        s("export -o out.tar oracle/app:1", docker="export -o out.tar exp", setup=create,
          teardown=remove, check="tar:out.tar",
          allow=("export-container-files", "progress-lines")),
        s("export --output out.tar imp/two:1",
          docker="export --output out.tar exp", setup=(("create", "--name", "exp",
                                                         "imp/two:1", "x"),),
          teardown=remove, check="tar:out.tar",
          allow=("export-container-files", "progress-lines")),
        s("export -o out.tar nosuch", allow="export-takes-an-image"),
        s("export -o nodir/out.tar oracle/app:1", docker="export -o nodir/out.tar exp",
          setup=create, teardown=remove, allow="export-takes-an-image"),
    ]


#: The whole scenario, in order.
SCENARIO: tuple[Step, ...] = tuple(
    _usage() + _empty() + _load() + _images() + _inspect() + _history() + _tag() + _save()
    + _rmi() + _prune() + _system_df() + _import() + _export()
)
