"""Unit tests of the store core (``dockyard.store``) through ``dockyard.open`` and its facades."""
