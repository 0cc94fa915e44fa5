"""The CLI parity suite: the same steps on Docker and on dockyard, compared."""
