"""The composition root: ``dockyard.open(root)`` returns a :class:`Client` for one store.

The client is cheap to create: it reads and creates nothing until a command does.
Commands read through :meth:`Client.view` (a snapshot; never waits for a writer) and
write through :meth:`Client.transaction` (one commit per command), staging layers first
in a :meth:`Client.staging` area outside the writer lock. ``image_store``,
``layer_store`` and ``reference_store`` offer moby's store operations one at a time.
See :mod:`dockyard.store.layout` for what lives where on disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dockyard.store.layout import DRIVER, Layout
from dockyard.store.store import Store

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from dockyard.api import ImageCollection
    from dockyard.reference.parse import Compat
    from dockyard.registries import RegistryAccess, RegistrySettings
    from dockyard.store.facades import ImageStore, LayerStore, ReferenceStore
    from dockyard.store.scratch import ScratchDir
    from dockyard.store.staging import StagingArea
    from dockyard.store.txn import Transaction
    from dockyard.store.view import Stats, View

__all__ = ["DRIVER", "Client", "StoreProblem", "default_root", "open"]


@dataclass(frozen=True, slots=True)
class StoreProblem:
    """Something in the store that cannot be used (found when the index was built).

    Attributes:
        kind: ``tampered-image``, ``invalid-image``, ``missing-layer`` or
            ``invalid-layer``.
        subject: the image ID or layer concerned.
        path: the file or directory concerned.
        detail: what is wrong.
    """

    kind: str
    subject: str
    path: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.path}: {self.detail}"


class Client:
    """One image store directory.

    Args:
        root: the store directory (created by the first command that writes).
        compat: ``"v28"`` (default) or ``"v20.10"`` wording of tag conflicts.
        registries: how pulls and pushes reach registries (default: credentials from
            ``~/.docker/config.json``, TLS except on loopback).
    """

    def __init__(
        self,
        root: Path | str,
        *,
        compat: Compat = "v28",
        registries: RegistrySettings | None = None,
    ) -> None:
        self.root = Path(root).absolute()
        self.store = Store(self.root, compat=compat)
        self._registry_settings = registries
        self._registries: RegistryAccess | None = None

    @property
    def image_store(self) -> ImageStore:
        """The image store's operations (moby's), one transaction or snapshot each."""
        from dockyard.store.facades import ImageStore

        return ImageStore(self.store)

    @property
    def layer_store(self) -> LayerStore:
        """The layer store's operations (moby's) (handles are counted per client)."""
        from dockyard.store.facades import LayerStore

        return LayerStore(self.store)

    @property
    def reference_store(self) -> ReferenceStore:
        """The reference store's operations (moby's) over ``repositories.json``."""
        from dockyard.store.facades import ReferenceStore

        return ReferenceStore(self.store)

    @property
    def layout(self) -> Layout:
        """Where the store's files are."""
        return self.store.layout

    @property
    def stats(self) -> Stats:
        """Counters of configs read, commits and ``repositories.json`` writes."""
        return self.store.stats

    def view(self) -> AbstractContextManager[View]:
        """A snapshot of the last committed state (see :class:`~dockyard.store.view.View`)."""
        return self.store.view()

    def transaction(self) -> AbstractContextManager[Transaction]:
        """One command's changes, committed all at once when the block ends.

        Raises:
            StoreReadOnly: the store cannot be written.
        """
        return self.store.transaction()

    def staging(self) -> StagingArea:
        """A staging area for layers; use it before taking a transaction.

        Raises:
            StoreReadOnly: the store cannot be written.
        """
        return self.store.staging()

    def scratch(self) -> ScratchDir:
        """Scratch space on the store's filesystem (removed when closed, or when dead).

        Raises:
            StoreReadOnly: the store cannot be written.
        """
        return self.store.scratch()

    @property
    def problems(self) -> list[StoreProblem]:
        """Images and layers that cannot be used, as found when the index was built."""
        with self.view() as view:
            return [StoreProblem(*row) for row in view.problems()]

    @property
    def images(self) -> ImageCollection:
        """The docker-py-shaped image API: ``client.images.load/get/list/remove/prune``."""
        from dockyard.api import ImageCollection

        return ImageCollection(self)

    @property
    def registries(self) -> RegistryAccess:
        """Settings and logins for registries (see :mod:`dockyard.registries`)."""
        if self._registries is None:
            from dockyard.registries import RegistryAccess

            self._registries = RegistryAccess(self._registry_settings)
        return self._registries

    def login(
        self,
        username: str,
        password: str | None = None,
        email: str | None = None,
        registry: str | None = None,
        reauth: bool = False,
        dockercfg_path: str | Path | None = None,
    ) -> dict[str, object]:
        """Log in to a registry for this client's pulls and pushes, as docker-py's.

        The credentials are checked with the registry and kept in memory (``email`` is
        accepted and ignored, as by Docker). Credentials of this user already in the
        configuration are returned as they are unless ``reauth``.

        Returns:
            ``{"IdentityToken": "", "Status": "Login Succeeded"}`` (or the stored entry).

        Raises:
            Unauthorized: the registry refused the credentials.
            RegistryConnectionError: the registry cannot be reached.
        """
        del email
        return self.registries.login(username, password, registry, reauth=reauth,
                                     dockercfg_path=dockercfg_path)  # fmt: skip

    def close(self) -> None:
        """Release cached resources (nothing is held between calls)."""
        self.store.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<dockyard.Client root={str(self.root)!r}>"


def default_root() -> Path:
    """The default store: ``~/.local/share/dockyard`` (the XDG data directory's default).

    The library reads no environment variables; the command line also honours
    ``$DOCKYARD_ROOT`` and ``$XDG_DATA_HOME`` and passes the result in.
    """
    return Path.home() / ".local" / "share" / "dockyard"


def open(
    root: Path | str | None = None,
    *,
    compat: Compat = "v28",
    registries: RegistrySettings | None = None,
) -> Client:
    """Open the image store at ``root`` and return its client (nothing is created yet).

    Args:
        root: the store directory; default :func:`default_root`.
        compat: ``"v28"`` or ``"v20.10"`` wording of tag conflicts.
        registries: how pulls and pushes reach registries (see
            :class:`~dockyard.registries.RegistrySettings`).
    """
    return Client(default_root() if root is None else root, compat=compat,
                  registries=registries)  # fmt: skip
