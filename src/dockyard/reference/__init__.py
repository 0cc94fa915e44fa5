"""Image references: Docker's grammar and normalisation, and the rules of its tag store.

Invariants:

* Parsing follows distribution/reference exactly: the same strings are accepted,
  normalised the same way (``busybox`` → ``docker.io/library/busybox``) and refused
  with the same messages. A parsed :class:`Reference` prints back to a string that
  parses to an equal reference, in both its full and its familiar form.
* ``repositories.json`` is written byte-for-byte as Docker writes it, and changed by
  Docker's rules (:mod:`dockyard.reference.rules`).
"""

from __future__ import annotations

from dockyard.reference._repofile import InvalidReferenceStore
from dockyard.reference.parse import (
    Compat,
    parse_any_reference,
    parse_docker_ref,
    parse_normalized_named,
    parse_reference,
    split_docker_domain,
    tag_name_only,
)
from dockyard.reference.rules import DigestConflict
from dockyard.reference.types import DigestReference, Reference

__all__ = [
    "Compat",
    "DigestConflict",
    "DigestReference",
    "InvalidReferenceStore",
    "Reference",
    "parse_any_reference",
    "parse_docker_ref",
    "parse_normalized_named",
    "parse_reference",
    "split_docker_domain",
    "tag_name_only",
]
