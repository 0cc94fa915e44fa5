"""High-level operations on a store (the "porcelain" over the stores of a client)."""
