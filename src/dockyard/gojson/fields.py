"""Go rules for decoding parsed JSON into struct fields (matching, null, merging).

Every ``decode_*`` helper takes the field's current value, the parsed JSON value and
``where`` (``"Struct.json.path"`` for error messages, ``""`` at top level) and returns
the new value, doing what Go's ``encoding/json`` does for that Go type:
``null`` leaves strings, numbers, bools and structs unchanged and sets slices, maps
and pointers to nil (``None``); maps merge into an existing map; a wrong JSON type
raises :class:`~dockyard.gojson.errors.UnmarshalTypeError`.

Errors follow Go 1.19+ (the Docker 20.10 daemon's Go): a type error names the innermost
struct and the path of JSON keys from the top (map keys and slice indexes left out), e.g.
``Go struct field HealthConfig.config.Healthcheck.Interval``. As in Go, a type error does not
stop decoding: the rest of the document is decoded, and the first type error is raised at
the end, unless another error (an invalid time, say) comes first, which is raised at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from dockyard.gojson.encode import Struct
from dockyard.gojson.errors import JSONError, UnmarshalTypeError
from dockyard.gojson.gotime import GoTime, InvalidTime
from dockyard.gojson.scanner import JSONObject, number_text

__all__ = [
    "Field",
    "TypeErrors",
    "FieldMatcher",
    "StructLayout",
    "decode_bool",
    "decode_int",
    "decode_int_ptr",
    "decode_list",
    "decode_map",
    "decode_set",
    "decode_str",
    "decode_str_list",
    "decode_str_map",
    "decode_strslice",
    "decode_time",
    "fold_name",
    "json_kind",
    "object_pairs",
    "sub",
    "type_error",
]

T = TypeVar("T")
_INT64 = (-(1 << 63), (1 << 63) - 1)


def fold_name(name: str) -> str:
    """Go's case folding for field names: per rune, upper-case of lower-case."""
    out = []
    for char in name:
        lower = char.lower()
        lower = lower if len(lower) == 1 else char
        upper = lower.upper()
        out.append(upper if len(upper) == 1 else lower)
    return "".join(out)


class FieldMatcher:
    """Maps input keys to field keys: exact match first, else case-insensitive.

    Args:
        keys: the struct's JSON keys in declaration order (on a fold collision the
            first declared field wins, as in Go).
    """

    def __init__(self, keys: Sequence[str]) -> None:
        self._exact = frozenset(keys)
        self._folded: dict[str, str] = {}
        for key in keys:
            self._folded.setdefault(fold_name(key), key)

    def match(self, key: str) -> str | None:
        """The field key ``key`` fills, or None when Go would ignore it."""
        if key in self._exact:
            return key
        return self._folded.get(fold_name(key))


def json_kind(value: Any) -> str:
    """Go's name of a JSON value's kind as used in type errors."""
    if isinstance(value, JSONObject):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "null"


_NUMERIC_TYPES = ("int", "uint", "float", "time.Duration")


def type_error(value: Any, go_type: str, where: str) -> UnmarshalTypeError:
    """Build Go's ``cannot unmarshal X into Go struct field S.f of type T`` error.

    A number that does not fit a numeric Go type is quoted as written (``number 1e30``).
    """
    struct, _, field = where.partition(".")
    kind = json_kind(value)
    if kind == "number" and go_type.startswith(_NUMERIC_TYPES):
        kind = f"number {number_text(value)}"
    return UnmarshalTypeError(kind, go_type, field, struct)


class TypeErrors:
    """Go's ``saveError``: remember the first type error and go on decoding.

    Catch the :class:`UnmarshalTypeError` of each part of a composite value and
    :meth:`save` it, then :meth:`check` at the end of the value.
    """

    __slots__ = ("first",)

    def __init__(self) -> None:
        self.first: UnmarshalTypeError | None = None

    def save(self, error: UnmarshalTypeError) -> None:
        """Remember ``error`` unless an earlier one is remembered."""
        if self.first is None:
            self.first = error

    def check(self) -> None:
        """Raise the first type error remembered, if any.

        Raises:
            UnmarshalTypeError: the first one.
        """
        if self.first is not None:
            raise self.first


def sub(where: str, key: str) -> str:
    """Extend an error location with a JSON key."""
    return f"{where}.{key}" if where else key


def object_pairs(
    value: Any, matcher: FieldMatcher, where: str, go_type: str
) -> Iterator[tuple[str, Any]]:
    """Yield ``(field key, value)`` for every input key that names a field, in input order.

    Raises:
        UnmarshalTypeError: ``value`` is not an object.
    """
    if not isinstance(value, JSONObject):
        raise type_error(value, go_type, where)
    for key, item in value:
        field = matcher.match(key)
        if field is not None:
            yield field, item


def decode_str(cur: str, value: Any, where: str) -> str:
    """Decode a Go ``string``."""
    if value is None:
        return cur
    if not isinstance(value, str):
        raise type_error(value, "string", where)
    return value


def decode_bool(cur: bool, value: Any, where: str) -> bool:
    """Decode a Go ``bool``."""
    if value is None:
        return cur
    if not isinstance(value, bool):
        raise type_error(value, "bool", where)
    return value


def decode_int(cur: int, value: Any, where: str, go_type: str = "int64") -> int:
    """Decode a Go ``int64`` (also ``int`` and ``time.Duration``)."""
    if value is None:
        return cur
    if isinstance(value, bool) or not isinstance(value, int):
        raise type_error(value, go_type, where)
    if not _INT64[0] <= value <= _INT64[1]:
        raise type_error(value, go_type, where)
    return value


def decode_int_ptr(cur: int | None, value: Any, where: str, go_type: str = "int") -> int | None:
    """Decode a Go ``*int``: ``null`` gives None."""
    if value is None:
        return None
    return decode_int(cur or 0, value, where, go_type)


def decode_list(
    cur: list[T] | None,
    value: Any,
    where: str,
    go_type: str,
    elem: Callable[[T | None, Any, str], T],
) -> list[T] | None:
    """Decode a Go slice; elements already present are decoded into (Go reuses them)."""
    if value is None:
        return None
    if not isinstance(value, list) or isinstance(value, JSONObject):
        raise type_error(value, go_type, where)
    old = cur or []
    errors = TypeErrors()
    result: list[T] = []
    for i, item in enumerate(value):
        previous = old[i] if i < len(old) else None
        try:
            result.append(elem(previous, item, where))
        except UnmarshalTypeError as exc:
            errors.save(exc)
    errors.check()
    return result


def _str_elem(cur: str | None, value: Any, where: str) -> str:
    return decode_str(cur or "", value, where)


def decode_str_list(cur: list[str] | None, value: Any, where: str) -> list[str] | None:
    """Decode a Go ``[]string`` (``null`` gives None, ``[]`` an empty list)."""
    return decode_list(cur, value, where, "[]string", _str_elem)


def decode_strslice(cur: list[str] | None, value: Any, where: str) -> list[str] | None:
    """Decode Docker's ``StrSlice``: an array of strings, or one string as a 1-element list."""
    if isinstance(value, str):
        return [value]
    if value is None:
        return None
    if not isinstance(value, list) or isinstance(value, JSONObject):
        raise type_error(value, "string", where)
    errors = TypeErrors()
    result: list[str] = []
    for item in value:
        try:
            result.append(_str_elem(None, item, where))
        except UnmarshalTypeError as exc:
            errors.save(exc)
    errors.check()
    return result


def decode_str_map(cur: dict[str, str] | None, value: Any, where: str) -> dict[str, str] | None:
    """Decode a Go ``map[string]string``, merging into an existing map."""
    if value is None:
        return None
    return decode_map(cur, value, where, "map[string]string", _str_elem)


def decode_map(
    cur: dict[str, T] | None,
    value: Any,
    where: str,
    go_type: str,
    elem: Callable[[T | None, Any, str], T],
) -> dict[str, T] | None:
    """Decode a Go map with string keys, merging into an existing map (Go's rules).

    Map keys are not part of error locations (as in Go 1.19, Docker 20.10's Go).
    """
    if value is None:
        return None
    if not isinstance(value, JSONObject):
        raise type_error(value, go_type, where)
    result = dict(cur) if cur is not None else {}
    errors = TypeErrors()
    for key, item in value:
        try:
            result[key] = elem(result.get(key), item, where)
        except UnmarshalTypeError as exc:
            errors.save(exc)
    errors.check()
    return result


def decode_set(cur: set[str] | None, value: Any, where: str, go_type: str) -> set[str] | None:
    """Decode a Go ``map[string]struct{}`` (port and volume sets) into a ``set``."""
    if value is None:
        return None
    if not isinstance(value, JSONObject):
        raise type_error(value, go_type, where)
    result = set(cur) if cur is not None else set()
    errors = TypeErrors()
    for key, item in value:
        if item is not None and not isinstance(item, JSONObject):
            errors.save(type_error(item, "struct {}", where))
        result.add(key)
    errors.check()
    return result


def decode_time(cur: GoTime | None, value: Any, where: str) -> GoTime | None:
    """Decode a Go ``*time.Time``: ``null`` gives None, else strict RFC 3339.

    Raises:
        JSONError: not a string, or not a valid RFC 3339 time (Go's messages).
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise JSONError("Time.UnmarshalJSON: input is not a JSON string")
    try:
        return GoTime.parse(value)
    except InvalidTime as exc:
        raise JSONError(str(exc)) from None


@dataclass(frozen=True, slots=True)
class Field:
    """One Go struct field: its JSON key, Python attribute, decoder and encoding rule.

    Attributes:
        key: the JSON key (Go tag name).
        attr: the Python attribute holding the value.
        decode: ``(current, json value, where) -> new value``.
        omitempty: drop the field when :func:`~dockyard.gojson.encode.is_empty`.
        encode: optional transform of the attribute value before encoding.
        pointer: the Go field is a pointer, so ``omitempty`` drops only None (nil).
    """

    key: str
    attr: str
    decode: Callable[[Any, Any, str], Any]
    omitempty: bool = False
    encode: Callable[[Any], Any] | None = None
    pointer: bool = False


class StructLayout:
    """The ordered fields of a Go struct, with Go's key matching for decoding.

    Args:
        go_type: the Go type name used in error messages (``container.Config``).
        fields: the fields in declaration order.
        name: the struct's name in ``Go struct field <name>.<path>`` (default: the type
            name without its package; ``""`` for an anonymous struct).
    """

    def __init__(self, go_type: str, fields: Sequence[Field], name: str | None = None) -> None:
        self.go_type = go_type
        self.name = go_type.rpartition(".")[2] if name is None else name
        self.fields = tuple(fields)
        self._by_key = {f.key: f for f in self.fields}
        self.matcher = FieldMatcher([f.key for f in self.fields])

    def decode_into(self, target: object, value: Any, where: str) -> None:
        """Decode a parsed JSON object into ``target``'s attributes (Go merge rules).

        Raises:
            JSONError: a value has the wrong type (``UnmarshalTypeError``) or is invalid.
        """
        if not isinstance(value, JSONObject):
            raise type_error(value, self.go_type, where)
        path = where.partition(".")[2]
        errors = TypeErrors()
        for key, item in object_pairs(value, self.matcher, where, self.go_type):
            field = self._by_key[key]
            current = getattr(target, field.attr)
            try:
                decoded = field.decode(current, item, f"{self.name}.{sub(path, key)}")
            except UnmarshalTypeError as exc:
                errors.save(exc)
            else:
                setattr(target, field.attr, decoded)
        errors.check()

    def encode(self, source: object, skip: frozenset[str] = frozenset()) -> Struct:
        """Build the ordered :class:`Struct` of ``source`` (fields in ``skip`` left out)."""
        out = Struct()
        for field in self.fields:
            if field.key in skip:
                continue
            value = getattr(source, field.attr)
            if field.encode is not None and value is not None:
                value = field.encode(value)
            if field.pointer and field.omitempty:
                if value is not None:
                    out.add(field.key, value)
            else:
                out.add(field.key, value, omitempty=field.omitempty)
        return out
