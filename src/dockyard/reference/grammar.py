r"""The image reference grammar of Docker's distribution/reference, as anchored patterns.

::

    reference        := name [ ":" tag ] [ "@" digest ]
    name             := [domain "/"] remote-name
    domain           := host [":" port-number]
    host             := domain-name | "[" IPv6address "]"
    domain-name      := domain-component ["." domain-component]*
    domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
    port-number      := /[0-9]+/
    remote-name      := path-component ["/" path-component]*
    path-component   := alpha-numeric [separator alpha-numeric]*
    alpha-numeric    := /[a-z0-9]+/
    separator        := /[_.]|__|[-]*/
    tag              := /[\w][\w.-]{0,127}/
    digest           := algorithm ":" hex     ; algorithm components joined by [-_+.]
    identifier       := /[a-f0-9]{64}/

Go's ``regexp`` is ASCII-only and guaranteed linear; here every pattern is compiled
with :data:`re.ASCII` and used with ``fullmatch``, and the separator's empty
alternative (``[-]*`` may match nothing) is expressed as "adjacent alphanumeric runs
merge", which accepts exactly the same strings without exponential backtracking.
"""

from __future__ import annotations

import re

__all__ = [
    "ANCHORED_DIGEST",
    "ANCHORED_DOMAIN",
    "ANCHORED_IDENTIFIER",
    "ANCHORED_NAME",
    "ANCHORED_REFERENCE",
    "ANCHORED_REMOTE_NAME",
    "ANCHORED_TAG",
    "DEFAULT_DOMAIN",
    "DEFAULT_TAG",
    "LEGACY_DEFAULT_DOMAIN",
    "LOCALHOST",
    "OFFICIAL_REPO_PREFIX",
    "REPOSITORY_NAME_MAX_LENGTH",
]

#: Domain of Docker Hub in normalised names.
DEFAULT_DOMAIN = "docker.io"
#: The historical "Docker Index" domain, normalised to :data:`DEFAULT_DOMAIN`.
LEGACY_DEFAULT_DOMAIN = "index.docker.io"
#: Namespace of Docker Hub's official images (``busybox`` is ``library/busybox``).
OFFICIAL_REPO_PREFIX = "library/"
#: Tag added to references that carry neither tag nor digest.
DEFAULT_TAG = "latest"
#: ``localhost`` is always a domain, even without a dot or a port.
LOCALHOST = "localhost"
#: Longest repository path accepted (distribution ``RepositoryNameTotalLengthMax``).
REPOSITORY_NAME_MAX_LENGTH = 255

_ALPHANUMERIC = r"[a-z0-9]+"
# One period, one or two underscores, or a run of dashes.  The grammar also allows an
# empty separator, which only joins two alphanumeric runs into a longer one.
_SEPARATOR = r"(?:[._]|__|-+)"
_PATH_COMPONENT = _ALPHANUMERIC + r"(?:" + _SEPARATOR + _ALPHANUMERIC + r")*"
_REMOTE_NAME = _PATH_COMPONENT + r"(?:/" + _PATH_COMPONENT + r")*"

_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_NAME = _DOMAIN_COMPONENT + r"(?:\." + _DOMAIN_COMPONENT + r")*"
_IPV6_ADDRESS = r"\[(?:[a-fA-F0-9:]+)\]"
_HOST = r"(?:" + _DOMAIN_NAME + r"|" + _IPV6_ADDRESS + r")"
_OPTIONAL_PORT = r"(?::[0-9]+)?"
_DOMAIN_AND_PORT = _HOST + _OPTIONAL_PORT

_NAME = r"(?:" + _DOMAIN_AND_PORT + r"/)?" + _REMOTE_NAME
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_IDENTIFIER = r"[a-f0-9]{64}"

#: Whole reference; groups: name, tag (or None), digest (or None).
ANCHORED_REFERENCE = re.compile(
    r"(" + _NAME + r")(?::(" + _TAG + r"))?(?:@(" + _DIGEST + r"))?", re.ASCII
)
#: A name; groups: domain (or None), remote name.
ANCHORED_NAME = re.compile(r"(?:(" + _DOMAIN_AND_PORT + r")/)?(" + _REMOTE_NAME + r")", re.ASCII)
#: A domain with optional port.
ANCHORED_DOMAIN = re.compile(_DOMAIN_AND_PORT, re.ASCII)
#: A remote name (the path of a repository).
ANCHORED_REMOTE_NAME = re.compile(_REMOTE_NAME, re.ASCII)
#: A tag.
ANCHORED_TAG = re.compile(_TAG, re.ASCII)
#: A digest as the reference grammar accepts it (before go-digest validation).
ANCHORED_DIGEST = re.compile(_DIGEST, re.ASCII)
#: A bare image ID: 64 lowercase hex characters.
ANCHORED_IDENTIFIER = re.compile(_IDENTIFIER, re.ASCII)
