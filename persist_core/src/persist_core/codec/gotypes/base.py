"""What every Go type description offers: its rules, and each function the codec derives from them.

A description (a :class:`GoType`) is made once per declared Python type by ``codec.describe``. From it come

- ``text``: the JSON text of a value (raises Refused when it is not sure; the converter then decides),
- ``decode``: the value of a parsed JSON value (the same signal),
- ``copy`` and ``same``: the exact copy and exact comparison the caches rely on (see codec.exact),
- ``structure_hook`` and ``unstructure_hook``: the cattrs hooks of the reference converter, which handles
  the rare values the generated functions leave to it and explains every refusal,
- ``msgspec_type`` and ``from_msgspec``: the shortcut that decodes a struct straight from bytes (codec.structs),
- ``strategy``: hypothesis' strategy for valid values (testing only; hypothesis is imported there).

The ``*_code`` methods write the same logic inline into a generated function (for the types small enough to
be worth it); by default they call the type's own function.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from persist_core.codec.generated import NotExact, Refused, Source

if TYPE_CHECKING:
    from cattrs import Converter
    from hypothesis.strategies import SearchStrategy

#: The longest lists, maps and sets test strategies draw (kata's structs nest deeply).
MAX_LIST, MAX_MAP, MAX_SET = 2, 3, 4

Text = Callable[[Any], str]
Decode = Callable[[Any], Any]
Copy = Callable[[Any], Any]
Same = Callable[[Any, Any], bool]
StructureFn = Callable[[Any, Any], Any]
UnstructureFn = Callable[[Any], Any]


class Unsupported(Exception):
    """A type the msgspec shortcut cannot decode (see codec.structs): a class holding it goes the full way."""


def refuse(*_: object) -> Any:
    raise Refused


def never_copy(value: Any) -> Any:
    raise NotExact


def never_same(a: Any, b: Any) -> bool:
    return False


class GoType:
    """One Go type as encoding/json sees it. Subclasses hold one kind's rules and derivations."""

    #: JSON null decodes to None rather than to the zero value (Go's pointers, slices, maps; foreign JSON).
    nullable = False
    #: The reference converter takes this type's hooks from here (False: cattrs' own handling).
    has_hooks = True
    #: The texts an omitempty field of this type is left out for (Go's nil pointer, nil or empty collection).
    omitted_texts: tuple[str, ...] = ()
    #: The annotation described (set by codec.describe): the reference converter's hooks are looked up by it.
    tp: Any = None

    @property
    def non_null(self) -> GoType:
        """The type of a non-null value (a pointer's target)."""
        return self

    @property
    def inline_text(self) -> bool:
        """Encoded inline by the generated function of a list or struct holding it (small structs)."""
        return False

    @property
    def inline_decode(self) -> bool:
        """Decoded inline by the generated function of a list or struct holding it (small structs)."""
        return False

    @property
    def holds_structs(self) -> bool:
        """Whether values hold model objects (so the type is not written inline in a generated struct)."""
        return False

    # -- encoding ----------------------------------------------------------------------------------

    @cached_property
    def text(self) -> Text:
        return self.build_text()

    def build_text(self) -> Text:
        return refuse

    def encode_code(self, code: Source, src: str, dst: str, indent: int) -> None:
        """Code setting ``dst`` to the JSON text of ``src`` (or raising Refused)."""
        code.call(self.text, src, dst, indent)

    def key_text(self) -> Callable[[Any], str]:
        """A map key as the string Go writes for it."""
        return refuse

    # -- decoding ----------------------------------------------------------------------------------

    @cached_property
    def decode(self) -> Decode:
        return self.build_decode()

    def build_decode(self) -> Decode:
        return refuse

    def decode_code(self, code: Source, src: str, dst: str, indent: int) -> None:
        """Code setting ``dst`` to the value of the (not null) parsed JSON in ``src`` (or raising Refused)."""
        code.call(self.decode, src, dst, indent)

    def key_decode(self) -> Callable[[str], Any]:
        """A map key from the string Go wrote (or Refused)."""
        return refuse

    # -- exact copies and comparisons (codec.exact) ------------------------------------------------

    @cached_property
    def copy(self) -> Copy:
        return self.build_copy()

    def build_copy(self) -> Copy:
        return never_copy

    @cached_property
    def same(self) -> Same:
        return self.build_same()

    def build_same(self) -> Same:
        return never_same

    def copy_code(self, code: Source, src: str, dst: str, indent: int, depth: int) -> None:
        """Code setting ``dst`` to an exact copy of ``src`` (or raising NotExact); ``depth``: how many more
        levels of lists and structs may be written inline."""
        code.call(self.copy, src, dst, indent)

    def same_code(self, code: Source, a: str, b: str, indent: int, depth: int) -> None:
        """Code returning False unless ``b`` is type-exactly ``a``."""
        function = code.constant(self.same, "s")
        code.line(indent, f"if not {function}({a}, {b}):")
        code.line(indent + 1, "return False")

    # -- decoding straight from bytes (codec.structs: msgspec checks the bytes, then a generated function) -

    def msgspec_type(self) -> Any:
        """The msgspec type of a non-null JSON value: by default any JSON, which ``decode`` then decodes (what
        msgspec cannot check as Go reads it); Unsupported: the class holding it always goes the full way."""
        return Any

    def from_msgspec(self, code: Source, value: str) -> str:
        """An expression for the model value of the (not null) msgspec value in variable ``value``."""
        return f"{code.constant(self.decode, 'full')}({value})"

    @property
    def msgspec_direct(self) -> bool:
        """msgspec's value is the model value itself (a str, bool or int; a new dict of strings)."""
        return False

    # -- the reference converter (cattrs) ----------------------------------------------------------

    def structure_hook(self, converter: Converter) -> StructureFn:
        raise TypeError(f"no structure hook for {self!r}")

    def unstructure_hook(self, converter: Converter) -> UnstructureFn:
        raise TypeError(f"no unstructure hook for {self!r}")

    def key_parser(self) -> Callable[[str], Any]:
        """The converter's map key parser (raises ValueError saying why)."""
        raise TypeError(f"{self!r} is not a Go map key type")

    def key_writer(self) -> Callable[[Any], str]:
        raise TypeError(f"{self!r} is not a Go map key type")

    # -- test data ---------------------------------------------------------------------------------

    def strategy(self, omitempty: bool = False) -> SearchStrategy[Any]:
        """Valid values (``omitempty``: none that Go would leave out); made once, imports hypothesis."""
        made: dict[bool, SearchStrategy[Any]] = self.__dict__.setdefault("_strategies", {})
        if omitempty not in made:
            made[omitempty] = self.build_strategy(omitempty)
        return made[omitempty]

    def build_strategy(self, omitempty: bool) -> SearchStrategy[Any]:
        raise TypeError(f"no strategy for {self.tp!r}")


class Unknown(GoType):
    """A type the model does not use: cattrs' own handling decodes it, and nothing else is generated."""

    has_hooks = False

    def __init__(self, tp: Any) -> None:
        self.tp = tp

    def __repr__(self) -> str:
        return f"Unknown({self.tp!r})"

    def build_decode(self) -> Decode:
        from persist_core.codec.converter import reference

        hook, tp = reference().get_structure_hook(self.tp), self.tp

        def decode(value: Any) -> Any:
            try:
                return hook(value, tp)
            except Exception:  # noqa: BLE001 - the converter's own failure, reported again by the whole-document run
                raise Refused from None

        return decode
