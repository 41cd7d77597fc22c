"""Go structs: the model classes, each field under its Go JSON key, in Go's field order.

Decoding follows encoding/json: unknown keys are ignored, keys match case-insensitively (an exact match
wins), and ``null`` into a non-pointer field leaves its zero value. Encoding writes every field in order,
leaving out an omitempty field when Go would (a nil pointer, a nil or empty slice or map).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, Union

import attrs

from persist_core.codec.converter import json_type
from persist_core.codec.generated import Refused, Source
from persist_core.codec.gotypes.base import (
    Copy,
    Decode,
    GoType,
    Same,
    StructureFn,
    Text,
    UnstructureFn,
    Unsupported,
    refuse,
)
from persist_core.codec.gotypes.scalars import string
from persist_core.model._fields import GO_KEY, OMITEMPTY

if TYPE_CHECKING:
    from cattrs import Converter
    from hypothesis.strategies import SearchStrategy

_GO_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MISSING = object()
#: How many levels of nested lists and structs an exact copy or comparison writes inline before calling.
_INLINE_DEPTH = 5
_PLAIN_SETATTR: Any = object.__setattr__


class Field:
    """One field of a struct: its attribute, Go's key, omitempty, and its type's description."""

    def __init__(self, attribute: attrs.Attribute[Any]) -> None:
        from persist_core.codec.describe import describe

        self.name = attribute.name
        self.alias = attribute.alias
        self.key: str = attribute.metadata[GO_KEY]
        self.omitempty: bool = attribute.metadata[OMITEMPTY]
        self.type = describe(attribute.type)
        default: Any = attribute.default
        self.default = default
        #: Every field can be given to ``__init__`` explicitly, its zero value when the document lacks it.
        self.explicit = (
            attribute.init
            and default is not attrs.NOTHING
            and not (isinstance(default, attrs.Factory) and default.takes_self)  # type: ignore[arg-type]
        )


def _structure(value: Any, cls: type) -> Any:
    """The reference converter's decoding of one struct; if it fails here, the whole document is decoded
    again by it (whose error then names the full path)."""
    from persist_core.codec.converter import reference

    try:
        return reference().structure(value, cls)
    except Exception:  # noqa: BLE001 - the converter's own failure, reported again by the whole-document run
        raise Refused from None


def _zero(code: Source, field: Field) -> str:
    """An expression for the field's zero value (a new one where the default is a factory)."""
    default = field.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return f"{code.constant(default.factory, 'z')}()"
    return code.constant(default, "z")


def _direct(field: Field) -> bool:
    """A non-pointer field whose msgspec value is the model value, with a zero value msgspec may hand out
    itself (immutable): msgspec decodes it completely, and it is passed on as it is."""
    return not field.type.nullable and field.type.msgspec_direct and not isinstance(field.default, attrs.Factory)  # type: ignore[arg-type]


class Struct(GoType):
    """A model class (a Go struct mirror), written as a JSON object with its fields' Go keys."""

    def __init__(self, cls: type) -> None:
        self.cls = cls

    def __repr__(self) -> str:
        return f"Struct({self.cls.__qualname__})"

    @cached_property
    def fields(self) -> tuple[Field, ...]:
        return tuple(map(Field, attrs.fields(self.cls)))

    @property
    def holds_structs(self) -> bool:
        return True

    @cached_property
    def _keys_are_identifiers(self) -> bool:
        """Keys that need no escaping in the generated source (else the converter writes the struct)."""
        return all(_GO_IDENTIFIER.fullmatch(field.key) for field in self.fields)

    @cached_property
    def _explicit(self) -> bool:
        return all(field.explicit for field in self.fields)

    @cached_property
    def _flat(self) -> bool:
        """Without structs inside: small enough to write inline wherever it occurs."""
        return not any(field.type.holds_structs for field in self.fields)

    @cached_property
    def _plain(self) -> bool:
        """Whether an instance is made as ``__init__`` makes it by ``object.__new__`` and setting each slot:
        no validators, converters or init hooks, and slots set without attrs' setattr hooks (every model
        class but the frozen GoTime, which is not a Struct): a third of the cost of a keyword call per object."""
        cls = self.cls
        return (
            "__slots__" in cls.__dict__
            and cls.__setattr__ is _PLAIN_SETATTR
            and not hasattr(cls, "__attrs_pre_init__")
            and not hasattr(cls, "__attrs_post_init__")
            and all(a.init and a.validator is None and a.converter is None for a in attrs.fields(cls))
        )

    def _construct(self, code: Source, values: list[tuple[Field, str]], dst: str, indent: int) -> None:
        """``dst = cls(field=expression, ...)``, or the same object made directly where ``_plain``."""
        cls = code.constant(self.cls, "cls")
        if not self._plain:
            code.line(indent, f"{dst} = {cls}({', '.join(f'{field.alias}={value}' for field, value in values)})")
            return
        code.line(indent, f"{dst} = {code.constant(object.__new__, 'new')}({cls})")
        for field, value in values:
            code.line(indent, f"{dst}.{field.name} = {value}")

    @property
    def inline_text(self) -> bool:
        return self._flat and self._keys_are_identifiers

    @property
    def inline_decode(self) -> bool:
        return self._flat and self._explicit

    # -- encoding ----------------------------------------------------------------------------------

    def build_text(self) -> Text:
        if not self._keys_are_identifiers:
            return refuse
        code = Source("def text(o):", {"string": string})
        self._text_code(code, "o", "result", 1)
        code.line(1, "return result")
        return code.compile("text", f"<persist codec: encode {self.cls.__qualname__}>")

    def encode_code(self, code: Source, src: str, dst: str, indent: int) -> None:
        if self.inline_text:
            self._text_code(code, src, dst, indent)
        else:
            super().encode_code(code, src, dst, indent)

    def _text_code(self, code: Source, src: str, dst: str, indent: int) -> None:
        code.refuse_unless(indent, f"isinstance({src}, {code.constant(self.cls, 'cls')})")
        parts: list[tuple[str, str, tuple[str, ...] | None]] = []  # (key, variable, omitted-when texts)
        for field in self.fields:
            value, text = code.name("v"), code.name("t")
            code.line(indent, f"{value} = {src}.{field.name}")
            field.type.encode_code(code, value, text, indent)
            parts.append((field.key, text, field.type.omitted_texts if field.omitempty else None))
        if all(omitted is None for _, _, omitted in parts):
            # One f-string: '{"Key":{t1},...}' (Go keys are identifiers, so they need no escaping here).
            body = ",".join(f"{string(key)}:{{{text}}}" for key, text, _ in parts)
            code.line(indent, f"{dst} = f'{{{{{body}}}}}'")
            return
        collected = code.name("p")
        code.line(indent, f"{collected} = []")
        for key, text, omitted in parts:
            entry = f"{collected}.append({string(key) + ':'!r} + {text})"
            if omitted is None:
                code.line(indent, entry)
            else:
                code.line(indent, f"if {text} not in {omitted!r}:")
                code.line(indent + 1, entry)
        code.line(indent, f"{dst} = '{{' + ','.join({collected}) + '}}'")

    # -- decoding ----------------------------------------------------------------------------------

    def build_decode(self) -> Decode:
        if not self._explicit:
            cls = self.cls
            return lambda value: _structure(value, cls)
        code = Source("def decode(d):", {"MISSING": _MISSING})
        self._decode_code(code, "d", "result", 1)
        code.line(1, "return result")
        return code.compile("decode", f"<persist codec: decode {self.cls.__qualname__}>")

    def decode_code(self, code: Source, src: str, dst: str, indent: int) -> None:
        if self.inline_decode:
            self._decode_code(code, src, dst, indent)
        else:
            super().decode_code(code, src, dst, indent)

    def _decode_code(self, code: Source, src: str, dst: str, indent: int) -> None:
        known = code.constant(frozenset(field.key for field in self.fields), "known")
        code.refuse_unless(indent, f"type({src}) is dict")
        code.line(indent, f"if not {src}.keys() <= {known}:")
        code.call(self._go_keys, src, src, indent + 1)  # unknown or case-folded keys: the rare case
        values = [(field, self._field_decode_code(code, field, src, indent)) for field in self.fields]
        self._construct(code, values, dst, indent)

    @cached_property
    def _go_keys(self) -> Callable[[dict[str, Any]], dict[str, Any]]:
        """The object with its keys matched as Go matches them: an exact match, else the field's key in any
        case; unknown keys are dropped, and of two keys for one field the last one written wins."""
        known = {field.key for field in self.fields}
        folded = {key.lower(): key for key in known}

        def go_keys(value: dict[str, Any]) -> dict[str, Any]:
            matched = {}
            for written, item in value.items():
                key = written if written in known else folded.get(written.lower())
                if key is not None:
                    matched[key] = item
            return matched

        return go_keys

    @staticmethod
    def _field_decode_code(code: Source, field: Field, src: str, indent: int) -> str:
        """Code for one field; returns the variable that holds its value."""
        value, result = code.name("v"), code.name("a")
        zero = _zero(code, field)
        if field.type.nullable:
            # null stays null; only a missing key takes the zero value.
            code.line(indent, f"{value} = {src}.get({field.key!r}, MISSING)")
            code.line(indent, f"if {value} is MISSING:")
            code.line(indent + 1, f"{result} = {zero}")
            code.line(indent, f"elif {value} is None:")
            code.line(indent + 1, f"{result} = None")
        else:
            # null into a non-pointer field is a no-op in Go: the zero value, as for a missing key.
            code.line(indent, f"{value} = {src}.get({field.key!r})")
            code.line(indent, f"if {value} is None:")
            code.line(indent + 1, f"{result} = {zero}")
        code.line(indent, "else:")
        field.type.non_null.decode_code(code, value, result, indent + 1)
        return result

    # -- decoding straight from bytes (codec.structs) ----------------------------------------------

    def msgspec_type(self) -> Any:
        return self._msgspec_struct

    @cached_property
    def _msgspec_struct(self) -> type:
        """Exact Go keys only (``forbid_unknown_fields``). A direct field (see _direct) takes its zero value
        when missing and refuses null (which then goes the full way); any other field may also be null or
        missing (UNSET), which the converter then reads as Go does."""
        import msgspec

        if not self._explicit:
            raise Unsupported
        fields = [
            (
                f"f{index}",
                field.type.msgspec_type(),
                msgspec.field(default=field.default, name=field.key),
            )
            if _direct(field)
            else (
                f"f{index}",
                Union[field.type.msgspec_type(), None, msgspec.UnsetType],  # noqa: UP007 - made at run time
                msgspec.field(default=msgspec.UNSET, name=field.key),
            )
            for index, field in enumerate(self.fields)
        ]
        return msgspec.defstruct(f"{self.cls.__name__}Document", fields, forbid_unknown_fields=True)

    def from_msgspec(self, code: Source, value: str) -> str:
        return f"{code.constant(self.msgspec_converter, 'convert')}({value})"

    @cached_property
    def msgspec_converter(self) -> Callable[[Any], Any]:
        """``def convert(s)``: the model object of the struct ``s``, each field as ``decode`` reads it."""
        import msgspec

        code = Source("def convert(s):", {"UNSET": msgspec.UNSET})
        values: list[tuple[Field, str]] = []
        for index, field in enumerate(self.fields):
            if _direct(field):
                values.append((field, f"s.f{index}"))
                continue
            value = code.name("v")
            code.line(1, f"{value} = s.f{index}")
            zero, inner = _zero(code, field), field.type.non_null.from_msgspec(code, value)
            if field.type.nullable:
                # null is nil; only a missing key takes the zero value.
                expression = f"({zero} if {value} is UNSET else None if {value} is None else {inner})"
            else:
                # null into a non-pointer field is a no-op in Go: the zero value, as for a missing key.
                expression = f"({zero} if {value} is None or {value} is UNSET else {inner})"
            values.append((field, expression))
        self._construct(code, values, "o", 1)
        code.line(1, "return o")
        return code.compile("convert", f"<persist codec: struct to {self.cls.__qualname__}>")

    # -- exact copies and comparisons --------------------------------------------------------------

    def build_copy(self) -> Copy:
        """A new instance with its slots set directly (model classes have no validators or hooks to run).

        Optional fields, lists and small nested classes are written inline: most fields are None or short
        lists of small classes, and a call per value would cost more than the copying.
        """
        code = Source("def copy(o):", {"new": object.__new__})
        self.copy_code(code, "o", "n", 1, _INLINE_DEPTH)
        code.line(1, "return n")
        return code.compile("copy", f"<persist codec: exact copy of {self.cls.__qualname__}>")

    def build_same(self) -> Same:
        code = Source("def same(a, b):", {})
        self.same_code(code, "a", "b", 1, _INLINE_DEPTH)
        code.line(1, "return True")
        return code.compile("same", f"<persist codec: exact comparison of {self.cls.__qualname__}>")

    def copy_code(self, code: Source, src: str, dst: str, indent: int, depth: int) -> None:
        if depth <= 0:
            super().copy_code(code, src, dst, indent, depth)
            return
        cls = code.constant(self.cls, "cls")
        code.line(indent, f"if type({src}) is not {cls}:")
        code.line(indent + 1, "raise NotExact")
        code.line(indent, f"{dst} = new({cls})")
        for field in self.fields:
            value = code.name("v")
            code.line(indent, f"{value} = {src}.{field.name}")
            field.type.copy_code(code, value, f"{dst}.{field.name}", indent, depth - 1)

    def same_code(self, code: Source, a: str, b: str, indent: int, depth: int) -> None:
        if depth <= 0:
            super().same_code(code, a, b, indent, depth)
            return
        code.line(indent, f"if type({b}) is not {code.constant(self.cls, 'cls')}:")
        code.line(indent + 1, "return False")
        for field in self.fields:
            va, vb = code.name("a"), code.name("b")
            code.line(indent, f"{va} = {a}.{field.name}")
            code.line(indent, f"{vb} = {b}.{field.name}")
            field.type.same_code(code, va, vb, indent, depth - 1)

    # -- the reference converter -------------------------------------------------------------------

    def structure_hook(self, converter: Converter) -> StructureFn:
        from cattrs.gen import make_dict_structure_fn, override  # the converter only: not at import

        cls, fields = self.cls, self.fields
        renames: dict[str, Any] = {field.name: override(rename=field.key) for field in fields}
        inner: StructureFn = make_dict_structure_fn(
            cls, converter, _cattrs_detailed_validation=converter.detailed_validation, **renames
        )
        known = {field.key for field in fields}
        folded = {key.lower(): key for key in known}
        nullable = {field.key for field in fields if field.type.nullable}

        def structure(value: Any, _: Any) -> Any:
            if type(value) is not dict:
                raise ValueError(f"expected an object for {cls.__name__}, got {json_type(value)}")
            clean: dict[str, Any] = {}
            for written, item in value.items():
                key = written if written in known else folded.get(written.lower())  # Go folds case
                if key is None:
                    continue  # Go ignores unknown keys
                if item is None and key not in nullable:
                    clean.pop(key, None)  # null into a non-pointer field leaves Go's zero value
                    continue
                clean[key] = item
            return inner(clean, cls)

        return structure

    def unstructure_hook(self, converter: Converter) -> UnstructureFn:
        from cattrs.gen import make_dict_unstructure_fn, override  # the converter only: not at import

        cls, fields = self.cls, self.fields
        # cattrs' omit_if_default would move omitted keys to the end; Go keeps field order, so
        # omitempty is applied afterwards by deleting keys from the ordered document.
        renames: dict[str, Any] = {field.name: override(rename=field.key) for field in fields}
        inner: UnstructureFn = make_dict_unstructure_fn(cls, converter, **renames)
        omitempty = [field for field in fields if field.omitempty]
        # A nil pointer is omitted; a slice or map is omitted when nil or empty.
        drop_if_empty = [field.key for field in omitempty if len(field.type.omitted_texts) > 1]
        drop_if_nil = [field.key for field in omitempty if field.key not in drop_if_empty]

        def unstructure(value: Any) -> dict[str, Any]:
            if not isinstance(value, cls):
                raise ValueError(f"expected {cls.__name__}, got {type(value).__name__}")
            document: dict[str, Any] = inner(value)
            for key in drop_if_nil:
                if document[key] is None:
                    del document[key]
            for key in drop_if_empty:
                if not document[key]:
                    del document[key]
            return document

        return unstructure

    # -- test data ---------------------------------------------------------------------------------

    def build_strategy(self, omitempty: bool) -> SearchStrategy[Any]:
        from persist_core.testing.strategies import model_objects

        return model_objects(self.cls)
