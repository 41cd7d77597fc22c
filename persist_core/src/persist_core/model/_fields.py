"""How model classes declare fields: Go's JSON key and omitempty ride along as attrs metadata.

The codec reads this metadata; the classes themselves know nothing about JSON.
"""

from __future__ import annotations

import linecache
import reprlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

GO_KEY = "persist.go_key"
OMITEMPTY = "persist.omitempty"

__all__ = ["GO_KEY", "OMITEMPTY", "go", "model"]

T = TypeVar("T")


@reprlib.recursive_repr()
def fields_repr(self: Any) -> str:
    """``Name(field=value, ...)`` as attrs writes it; one function shared by every model class.

    attrs would compile a ``__repr__`` per class, which is a quarter of the model's import time.
    """
    values = ", ".join(f"{a.name}={getattr(self, a.name)!r}" for a in self.__attrs_attrs__)
    return f"{type(self).__qualname__}({values})"


def _compile_eq(cls: type) -> Callable[[Any, object], Any]:
    """The ``__eq__`` attrs would compile for ``cls``: same class, then each field ``==`` in order."""
    names = [a.name for a in attrs.fields(cls)]
    compare = " and ".join(f"self.{name} == other.{name}" for name in names) or "True"
    source = (
        "def __eq__(self, other):\n"
        "    if other.__class__ is not self.__class__:\n"
        "        return NotImplemented\n"
        f"    return {compare}\n"
    )
    filename = f"<persist_core.model {cls.__module__}.{cls.__qualname__}.__eq__>"
    namespace: dict[str, Any] = {}
    exec(compile(source, filename, "exec"), namespace)
    # Registered so that a traceback through the comparison shows its line, as for attrs' own methods.
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    eq: Callable[[Any, object], Any] = namespace["__eq__"]
    eq.__qualname__ = f"{cls.__qualname__}.__eq__"
    return eq


def eq_on_first_use(self: Any, other: object) -> Any:
    """Compile the class's own ``__eq__`` when it first compares, not for every class on every import.

    Most processes never compare most model classes; the compiled one replaces this on the class.
    """
    cls = type(self)
    eq = _compile_eq(cls)
    cls.__eq__ = eq  # type: ignore[assignment]
    return eq(self, other)


if TYPE_CHECKING:
    # mypy's attrs plugin knows attrs.define by name: through this alias, ``@model(kw_only=True)`` gives
    # the fields, the keyword-only ``__init__``, ``attrs.fields`` and ``attrs.evolve`` their real types.
    from attrs import define as model
else:

    def model(*, kw_only: bool) -> Callable[[type[T]], type[T]]:
        """Declare a Go struct mirror: mutable, slotted, keyword-only (structs have dozens of fields).

        ``kw_only`` is spelled out at each class, rather than implied, so that mypy sees it as well.
        """

        def declare(cls: type[T]) -> type[T]:
            cls.__repr__ = fields_repr
            cls.__eq__ = eq_on_first_use
            cls.__hash__ = None  # mutable, so unhashable, as attrs makes it
            return attrs.define(kw_only=kw_only, repr=False, eq=False)(cls)

        return declare


def go(
    key: str,
    default: Any = attrs.NOTHING,
    *,
    factory: Callable[[], Any] | None = None,
    omitempty: bool = False,
) -> Any:
    """A field stored under Go JSON key ``key``; ``default`` is Go's zero value."""
    metadata = {GO_KEY: key, OMITEMPTY: omitempty}
    if factory is not None:
        return attrs.field(factory=factory, metadata=metadata)
    return attrs.field(default=default, metadata=metadata)
