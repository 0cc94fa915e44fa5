"""Go's type model for template data: a small ``reflect`` over JSON-shaped Python values.

A template value is a :class:`V`: a Python value plus the Go type it stands for. Go types
are :class:`GoType` descriptors; how a Python value represents each kind:

* ``bool``, integer kinds, ``float64``, ``complex128``, ``string``: the Python scalar
  (``None`` reads as the zero value);
* ``slice``: a list or tuple, ``None`` for a nil slice (``[]uint8``: ``bytes``);
* ``map``: a dict, ``None`` for a nil map; printed, ranged and marshalled in sorted key
  order, as Go does;
* ``ptr``: the pointee's representation, ``None`` for a nil pointer;
* ``struct``: a dict keyed by the fields' JSON names (the decoded JSON object); absent
  keys read as zero values, exactly as ``json.Unmarshal`` into the struct leaves them;
* ``interface {}``: any Python value, typed dynamically by :func:`dyn`: dict → ``map[string]
  interface {}``, list → ``[]interface {}``, str → ``string``, int → ``int`` (or
  ``json.Number`` in *number* mode, as Docker's raw-JSON fallback decodes), float →
  ``float64``, None → nil. A :class:`Typed` anywhere in the data declares its Go type.

So a plain dict is a Go map (sorted keys); a value stands for a struct only when a
:class:`GoType` of kind ``struct`` says so (through a schema or a :class:`Typed`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "ANY",
    "ANY_NUM",
    "BOOL",
    "BYTES",
    "COMPLEX128",
    "EMPTY_STRUCT",
    "FLOAT64",
    "INT",
    "INT32",
    "INT64",
    "INVALID",
    "JSON_NUMBER",
    "MAP_STRING_ANY",
    "MAP_STRING_STRING",
    "REFLECT_VALUE",
    "SLICE_STRING",
    "STRING",
    "UINT8",
    "Field",
    "GoType",
    "Method",
    "Typed",
    "V",
    "assignable",
    "dyn",
    "field_value",
    "go_struct",
    "indirect",
    "indirect_interface",
    "is_nil",
    "map_of",
    "ptr_to",
    "slice_of",
    "sorted_keys",
    "struct_of",
    "zero",
]

INT_KINDS = frozenset(("int", "int8", "int16", "int32", "int64"))
UINT_KINDS = frozenset(("uint", "uint8", "uint16", "uint32", "uint64", "uintptr"))
FLOAT_KINDS = frozenset(("float32", "float64"))
NILLABLE = frozenset(("ptr", "map", "slice", "interface", "func", "chan"))


class Method:
    """A method of a Go type, callable from templates (``.Name arg…``).

    Args:
        params: Parameter types (not counting the receiver).
        result: The type of the (first) result.
        fn: ``fn(receiver_python_value, *args)`` returning the result's Python value.
    """

    __slots__ = ("fn", "params", "result")

    def __init__(self, params: tuple[GoType, ...], result: GoType,
                 fn: Callable[..., Any]) -> None:
        self.params, self.result, self.fn = params, result, fn


class GoType:
    """A Go type: its kind, its printed name and what composes it.

    Args:
        kind: The ``reflect.Kind`` name (``string``, ``int64``, ``slice``, ``struct``, …).
        name: The type as ``%T`` prints it, e.g. ``[]string`` or ``image.RootFS``.
        elem: Element type (slice, map value, pointer target).
        key: Map key type.
        fields: Struct fields, in declaration order.
        named: A defined type (``string``, ``image.RootFS``) rather than a literal one
            (``[]string``); decides assignability.
        under: Name of the underlying type, for named composite types.
        methods: Methods templates may call, by name.
        stringer: The type's ``String()`` method (fmt prints through it).
        gostring: The type's ``GoString()`` method (``%#v``).
        marshal: The type's ``MarshalJSON``: returns JSON text.
        number_mode: For ``interface {}``: numbers inside decode as ``json.Number``.
        zero: The Python value of the type's zero value.
    """

    __slots__ = ("_lookup", "elem", "fields", "gostring", "key", "kind", "marshal", "methods",
                 "name", "named", "number_mode", "stringer", "under", "zero")

    def __init__(self, kind: str, name: str, *, elem: GoType | None = None,
                 key: GoType | None = None, fields: tuple[Field, ...] = (),
                 named: bool = False, under: str | None = None,
                 methods: Mapping[str, Method] | None = None,
                 stringer: Callable[[Any], str] | None = None,
                 gostring: Callable[[Any], str] | None = None,
                 marshal: Callable[[Any, bool], str] | None = None,
                 number_mode: bool = False, zero: Any = None) -> None:
        self.kind, self.name, self.elem, self.key, self.fields = kind, name, elem, key, fields
        self.named, self.under = named, under or name
        self.methods: Mapping[str, Method] = methods or {}
        self.stringer, self.gostring, self.marshal = stringer, gostring, marshal
        self.number_mode = number_mode
        self.zero = zero if zero is not None else _ZEROS.get(kind)
        self._lookup: dict[str, tuple[Field, ...] | None] = {}

    def __repr__(self) -> str:
        return f"GoType({self.name})"

    def field_path(self, name: str) -> tuple[Field, ...] | None:
        """Find a struct field by Go name, through embedded structs (``FieldByName``)."""
        if name not in self._lookup:
            self._lookup[name] = _find_field(self, name, 0)
        return self._lookup[name]


_ZEROS: dict[str, Any] = {"bool": False, "string": "", "float64": 0.0, "float32": 0.0,
                          "complex128": 0j, **dict.fromkeys(INT_KINDS | UINT_KINDS, 0)}


def _find_field(t: GoType, name: str, depth: int) -> tuple[Field, ...] | None:
    if t.kind == "ptr" and t.elem is not None:
        t = t.elem
    if t.kind != "struct" or depth > 8:
        return None
    for f in t.fields:
        if f.name == name:
            return (f,)
    for f in t.fields:
        if f.embedded:
            sub = _find_field(f.type, name, depth + 1)
            if sub is not None:
                return (f, *sub)
    return None


class Field:
    """A struct field.

    Args:
        name: The Go field name (``ID``).
        type: Its Go type.
        json: Its JSON name (``Id``); ``-`` skips it in JSON; default: the Go name.
        omitempty: The ``omitempty`` JSON option.
        embedded: An embedded (anonymous) struct field; its JSON fields are inlined.
    """

    __slots__ = ("embedded", "json", "name", "omitempty", "type")

    def __init__(self, name: str, type: GoType, json: str | None = None, *,
                 omitempty: bool = False, embedded: bool = False) -> None:
        self.name, self.type, self.json = name, type, json if json is not None else name
        self.omitempty, self.embedded = omitempty, embedded


class V:
    """A Go value: ``x`` (Python representation) of Go type ``t``; ``t`` None: invalid."""

    __slots__ = ("t", "x")

    def __init__(self, x: Any, t: GoType | None) -> None:
        self.x, self.t = x, t

    def __repr__(self) -> str:
        return f"V({self.x!r}, {self.t!r})"

    @property
    def valid(self) -> bool:
        """Whether this is a valid value (Go's ``reflect.Value.IsValid``)."""
        return self.t is not None

    @property
    def kind(self) -> str:
        """The value's kind, ``invalid`` for the invalid value."""
        return self.t.kind if self.t is not None else "invalid"


class Typed:
    """Declare the Go type of a value placed in otherwise dynamically typed data.

    Args:
        value: The Python representation (see the module documentation).
        type: Its Go type.
    """

    __slots__ = ("type", "value")

    def __init__(self, value: Any, type: GoType) -> None:
        self.value, self.type = value, type


INVALID = V(None, None)


def _basic(kind: str, name: str | None = None, **kw: Any) -> GoType:
    return GoType(kind, name or kind, named=True, **kw)


BOOL = _basic("bool")
INT = _basic("int")
INT32 = _basic("int32")
INT64 = _basic("int64")
UINT8 = _basic("uint8")
FLOAT64 = _basic("float64")
COMPLEX128 = _basic("complex128")
STRING = _basic("string")
ANY = GoType("interface", "interface {}")
ANY_NUM = GoType("interface", "interface {}", number_mode=True)
REFLECT_VALUE = GoType("struct", "reflect.Value", named=True)
JSON_NUMBER = _basic("string", "json.Number", under="string", stringer=str,
                     marshal=lambda x, _h: str(x) if x != "" else "0")
EMPTY_STRUCT = GoType("struct", "struct {}", zero={})


def slice_of(elem: GoType, name: str | None = None) -> GoType:
    """The type ``[]elem`` (or a named type ``name`` with that underlying type)."""
    under = "[]" + elem.name
    return GoType("slice", name or under, elem=elem, named=name is not None, under=under)


def map_of(key: GoType, elem: GoType, name: str | None = None) -> GoType:
    """The type ``map[key]elem`` (or a named type ``name`` with that underlying type)."""
    under = f"map[{key.name}]{elem.name}"
    return GoType("map", name or under, key=key, elem=elem, named=name is not None,
                  under=under)


def ptr_to(elem: GoType) -> GoType:
    """The type ``*elem``."""
    return GoType("ptr", "*" + elem.name, elem=elem)


def struct_of(name: str, fields: tuple[Field, ...], **kw: Any) -> GoType:
    """A named struct type whose Python values are dicts keyed by JSON names."""
    return GoType("struct", name, fields=fields, named=True, zero={}, **kw)


BYTES = slice_of(UINT8)
SLICE_STRING = slice_of(STRING)
MAP_STRING_STRING = map_of(STRING, STRING)
_SLICE_ANY = (slice_of(ANY), slice_of(ANY_NUM))
_MAP_ANY = (map_of(STRING, ANY), map_of(STRING, ANY_NUM))
MAP_STRING_ANY = _MAP_ANY[0]


def go_struct(mapping: Mapping[str, Any], name: str = "") -> Typed:
    """Declare a dict a Go struct: fields in insertion order, values typed dynamically.

    It prints as ``{v1 v2}`` (``%+v``: ``{K1:v1 K2:v2}``) and marshals keys in insertion
    order, where a plain dict (a Go map) sorts them.

    Args:
        mapping: Field name to value.
        name: The struct's Go type name (``pkg.Name``); default: an unnamed struct.

    Returns:
        The value, typed.
    """
    fields = tuple(Field(str(k), ANY) for k in mapping)
    literal = "struct { " + "; ".join(f"{f.name} interface {{}}" for f in fields) + " }"
    return Typed(mapping, struct_of(name or literal, fields) if name else GoType(
        "struct", literal, fields=fields, zero={}))


def zero(t: GoType) -> V:
    """The zero value of ``t``."""
    return V(t.zero, t)


def dyn(x: Any, number_mode: bool = False) -> V:
    """The concrete Go value of a Python value held in an ``interface {}``."""
    if x is None:
        return INVALID
    if isinstance(x, str):
        return V(x, STRING)
    if isinstance(x, bool):
        return V(x, BOOL)
    if isinstance(x, int):
        return V(str(x), JSON_NUMBER) if number_mode else V(x, INT)
    if isinstance(x, float):
        return V(_number_text(x), JSON_NUMBER) if number_mode else V(x, FLOAT64)
    if isinstance(x, Mapping):
        return V(x, _MAP_ANY[number_mode])
    if isinstance(x, list | tuple):
        return V(x, _SLICE_ANY[number_mode])
    if isinstance(x, Typed):
        return V(x.value, x.type)
    if isinstance(x, bytes):
        return V(x, BYTES)
    if isinstance(x, complex):
        return V(x, COMPLEX128)
    return V(str(x), STRING)


def _number_text(x: float) -> str:
    return str(int(x)) if x.is_integer() and abs(x) < 1e21 else repr(x)


def coerce(x: Any, t: GoType) -> Any:
    """Normalise a Python value to the representation of Go type ``t``."""
    kind = t.kind
    if x is None:
        return t.zero
    if kind == "string":
        return x if isinstance(x, str) else _number_text(x) if isinstance(x, float) else str(x)
    if kind in INT_KINDS or kind in UINT_KINDS:
        return x if isinstance(x, int) and not isinstance(x, bool) else _to_int(x)
    if kind in FLOAT_KINDS:
        return float(x) if isinstance(x, int | float) else 0.0
    return x


def _to_int(x: Any) -> int:
    try:
        return int(x)
    except (TypeError, ValueError):
        return 0


def elem_value(x: Any, t: GoType) -> V:
    """The value of static type ``t`` holding Python value ``x`` (a field, element, …)."""
    if t.kind == "interface":
        return V(x, t)
    return V(coerce(x, t), t)


def is_nil(v: V) -> bool:
    """Go's ``IsNil`` for nillable kinds; the invalid value counts as nil."""
    return v.t is None or (v.t.kind in NILLABLE and v.x is None)


def indirect(v: V) -> tuple[V, bool]:
    """Follow pointers and interfaces; report whether a nil one stopped the walk."""
    t = v.t
    while t is not None and t.kind in ("ptr", "interface"):
        if v.x is None:
            return v, True
        if t.kind == "ptr":
            assert t.elem is not None
            v = elem_value(v.x, t.elem)
        else:
            v = dyn(v.x, t.number_mode)
        t = v.t
    return v, False


def indirect_interface(v: V) -> V:
    """The concrete value inside an interface value; invalid for a nil interface."""
    if v.t is None or v.t.kind != "interface":
        return v
    return dyn(v.x, v.t.number_mode)


def field_value(v: V, path: tuple[Field, ...]) -> V:
    """Read a struct field (``path`` from :meth:`GoType.field_path`) of struct value ``v``."""
    x = v.x
    for f in path:
        if not f.embedded or f.type.kind != "struct":
            x = _json_member(x, f)
        if f is not path[-1] and f.type.kind == "ptr" and x is None:
            return V(None, f.type)
    return elem_value(x, path[-1].type)


def _json_member(x: Any, f: Field) -> Any:
    if not isinstance(x, Mapping):
        return None
    if f.json in x:
        return x[f.json]
    folded = f.json.casefold()
    for key, value in x.items():
        if isinstance(key, str) and key.casefold() == folded:
            return value
    return None


def assignable(src: GoType, dst: GoType) -> bool:
    """Go's ``AssignableTo`` for the types templates meet."""
    if src.name == dst.name or (dst.kind == "interface" and dst is not REFLECT_VALUE):
        return True
    return src.under == dst.under and not (src.named and dst.named)


def sorted_keys(mapping: Mapping[Any, Any] | None) -> list[Any]:
    """A map's keys in Go's printing and ranging order (``fmtsort``)."""
    if not mapping:
        return []
    try:
        return sorted(mapping)
    except TypeError:
        return sorted(mapping, key=str)


def type_name(v: V) -> str:
    """The type's name as Go prints it, ``<nil>`` for the invalid value."""
    return v.t.name if v.t is not None else "<nil>"
