"""The ``docker save`` archive format: Docker's byte-exact tar writer and a safe tar reader.

Invariants: archives are written in one streaming pass with headers identical to moby's
(USTAR, two end blocks, no record padding), and archives are read in one streaming pass
without ever creating files; no member name or path from an archive may reach outside
the archive root.
"""
