"""Errors of the Go-compatible JSON codec (all are :class:`~dockyard.errors.FormatError`)."""

from __future__ import annotations

from dockyard.errors import FormatError

__all__ = ["JSONError", "UnmarshalTypeError"]


class JSONError(FormatError):
    """JSON text is malformed or a value cannot be encoded; messages follow Go's wording.

    Attributes:
        offset: byte offset in the input where the problem was found (-1 if unknown).
    """

    def __init__(self, message: str, offset: int = -1) -> None:
        self.offset = offset
        super().__init__(message)


class UnmarshalTypeError(JSONError):
    """A JSON value has the wrong type for the field it would fill (Go's wording)."""

    def __init__(self, value: str, go_type: str, field: str = "", struct: str = "") -> None:
        self.value = value
        self.go_type = go_type
        self.field = field
        self.struct = struct
        where = f"Go struct field {struct}.{field}" if field or struct else "Go value"
        super().__init__(f"json: cannot unmarshal {value} into {where} of type {go_type}")
