"""The Go types the Docker 28.2 CLI executes ``image inspect -f`` templates on.

``docker image inspect`` decodes the daemon's JSON into ``image.InspectResponse`` (moby
``api/types/image``, as vendored by docker/cli 28.2) and runs the template on that
struct first; field order, JSON names and ``omitempty`` options below were checked
against the real CLI (``{{json .}}``, ``{{printf "%T" …}}``). Only when that fails does
the CLI fall back to the raw JSON (see :mod:`dockyard.cli.gotemplate.docker`).
"""

from __future__ import annotations

from dockyard.cli.gotemplate.gotime import DURATION, TIME
from dockyard.cli.gotemplate.types import (
    BOOL,
    BYTES,
    EMPTY_STRUCT,
    INT,
    INT64,
    MAP_STRING_STRING,
    SLICE_STRING,
    STRING,
    Field,
    GoType,
    map_of,
    ptr_to,
    slice_of,
    struct_of,
)

__all__ = ["CONTAINER_CONFIG", "IMAGE_INSPECT", "OCI_IMAGE_CONFIG"]


def _f(name: str, t: GoType, json: str | None = None, omit: bool = False) -> Field:
    return Field(name, t, json, omitempty=omit)


_PORT = GoType("string", "nat.Port", named=True, under="string")
_PORT_SET = map_of(_PORT, EMPTY_STRUCT, "nat.PortSet")
_STR_SLICE = slice_of(STRING, "strslice.StrSlice")
_VOLUMES = map_of(STRING, EMPTY_STRUCT)

HEALTHCHECK = struct_of("v1.HealthcheckConfig", (
    _f("Test", SLICE_STRING, omit=True),
    _f("Interval", DURATION, omit=True),
    _f("Timeout", DURATION, omit=True),
    _f("StartPeriod", DURATION, omit=True),
    _f("StartInterval", DURATION, omit=True),
    _f("Retries", INT, omit=True),
))

#: ``container.Config`` (the image's ``ContainerConfig``).
CONTAINER_CONFIG = struct_of("container.Config", (
    _f("Hostname", STRING), _f("Domainname", STRING), _f("User", STRING),
    _f("AttachStdin", BOOL), _f("AttachStdout", BOOL), _f("AttachStderr", BOOL),
    _f("ExposedPorts", _PORT_SET, omit=True), _f("Tty", BOOL), _f("OpenStdin", BOOL),
    _f("StdinOnce", BOOL), _f("Env", SLICE_STRING), _f("Cmd", _STR_SLICE),
    _f("Healthcheck", ptr_to(HEALTHCHECK), omit=True), _f("ArgsEscaped", BOOL, omit=True),
    _f("Image", STRING), _f("Volumes", _VOLUMES), _f("WorkingDir", STRING),
    _f("Entrypoint", _STR_SLICE), _f("NetworkDisabled", BOOL, omit=True),
    _f("MacAddress", STRING, omit=True), _f("OnBuild", SLICE_STRING),
    _f("Labels", MAP_STRING_STRING), _f("StopSignal", STRING, omit=True),
    _f("StopTimeout", ptr_to(INT), omit=True), _f("Shell", _STR_SLICE, omit=True),
))

_IMAGE_CONFIG = struct_of("v1.ImageConfig", (
    _f("User", STRING, omit=True), _f("ExposedPorts", _VOLUMES, omit=True),
    _f("Env", SLICE_STRING, omit=True), _f("Entrypoint", SLICE_STRING, omit=True),
    _f("Cmd", SLICE_STRING, omit=True), _f("Volumes", _VOLUMES, omit=True),
    _f("WorkingDir", STRING, omit=True), _f("Labels", MAP_STRING_STRING, omit=True),
    _f("StopSignal", STRING, omit=True), _f("ArgsEscaped", BOOL, omit=True),
))
_CONFIG_EXT = struct_of("v1.DockerOCIImageConfigExt", (
    _f("Healthcheck", ptr_to(HEALTHCHECK), omit=True),
    _f("OnBuild", SLICE_STRING, omit=True),
    _f("Shell", SLICE_STRING, omit=True),
))
#: ``v1.DockerOCIImageConfig`` (the image's ``Config``).
OCI_IMAGE_CONFIG = struct_of("v1.DockerOCIImageConfig", (
    Field("ImageConfig", _IMAGE_CONFIG, embedded=True),
    Field("DockerOCIImageConfigExt", _CONFIG_EXT, embedded=True),
))

_PLATFORM = struct_of("v1.Platform", (
    _f("Architecture", STRING, "architecture"), _f("OS", STRING, "os"),
    _f("OSVersion", STRING, "os.version", omit=True),
    _f("OSFeatures", SLICE_STRING, "os.features", omit=True),
    _f("Variant", STRING, "variant", omit=True),
))
_DIGEST = GoType("string", "digest.Digest", named=True, under="string")
_DESCRIPTOR = struct_of("v1.Descriptor", (
    _f("MediaType", STRING, "mediaType"), _f("Digest", _DIGEST, "digest"),
    _f("Size", INT64, "size"), _f("URLs", SLICE_STRING, "urls", omit=True),
    _f("Annotations", MAP_STRING_STRING, "annotations", omit=True),
    _f("Data", BYTES, "data", omit=True),
    _f("Platform", ptr_to(_PLATFORM), "platform", omit=True),
    _f("ArtifactType", STRING, "artifactType", omit=True),
))
_MANIFEST_SIZE = struct_of("image.ManifestSummarySize", (
    _f("Total", INT64), _f("Content", INT64)))
_MANIFEST_SUMMARY = struct_of("image.ManifestSummary", (
    _f("ID", STRING), _f("Descriptor", _DESCRIPTOR), _f("Available", BOOL),
    _f("Size", _MANIFEST_SIZE), _f("Kind", GoType("string", "image.ManifestKind", named=True,
                                                    under="string")),
    _f("ImageData", ptr_to(struct_of("image.ImageProperties", (
        _f("Platform", _PLATFORM), _f("Containers", SLICE_STRING)))), omit=True),
    _f("AttestationData", ptr_to(struct_of("image.AttestationProperties", (
        _f("For", _DIGEST),))), omit=True),
))

_DRIVER_DATA = struct_of("storage.DriverData", (
    _f("Data", MAP_STRING_STRING), _f("Name", STRING)))
_ROOTFS = struct_of("image.RootFS", (
    _f("Type", STRING, omit=True), _f("Layers", SLICE_STRING, omit=True)))
_METADATA = struct_of("image.Metadata", (_f("LastTagTime", TIME, omit=True),))

#: ``image.InspectResponse``: what ``docker image inspect -f`` templates see first.
IMAGE_INSPECT = struct_of("image.InspectResponse", (
    _f("ID", STRING, "Id"), _f("RepoTags", SLICE_STRING), _f("RepoDigests", SLICE_STRING),
    _f("Parent", STRING), _f("Comment", STRING), _f("Created", STRING, omit=True),
    _f("Container", STRING, omit=True),
    _f("ContainerConfig", ptr_to(CONTAINER_CONFIG), omit=True),
    _f("DockerVersion", STRING), _f("Author", STRING),
    _f("Config", ptr_to(OCI_IMAGE_CONFIG)), _f("Architecture", STRING),
    _f("Variant", STRING, omit=True), _f("Os", STRING), _f("OsVersion", STRING, omit=True),
    _f("Size", INT64), _f("VirtualSize", INT64, omit=True), _f("GraphDriver", _DRIVER_DATA),
    _f("RootFS", _ROOTFS), _f("Metadata", _METADATA),
    _f("Descriptor", ptr_to(_DESCRIPTOR), omit=True),
    _f("Manifests", slice_of(_MANIFEST_SUMMARY), omit=True),
))
