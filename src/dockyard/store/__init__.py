"""The store: Docker's files as the truth, a derived index, transactions and snapshots.

* :mod:`~dockyard.store.layout` — every path of a store root.
* :mod:`~dockyard.store.view` — reading: one consistent snapshot (never waits).
* :mod:`~dockyard.store.txn` — writing: one transaction per command.
* :mod:`~dockyard.store.changes`, :mod:`~dockyard.store.journal` — how a commit is made
  all-or-nothing and crash-safe.
* :mod:`~dockyard.store.staging` — layers streamed in before the writer lock is taken.
* :mod:`~dockyard.store.index`, :mod:`~dockyard.store.rebuild` — the derived index.
* :mod:`~dockyard.store.store` — ties them together for one root.
"""
