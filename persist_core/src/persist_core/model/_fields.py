"""How model classes declare fields: Go's JSON key and omitempty ride along as attrs metadata.

The codec reads this metadata; the classes themselves know nothing about JSON.
"""

from __future__ import annotations

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


if TYPE_CHECKING:
    # mypy's attrs plugin knows attrs.define by name; through this alias it types the fields and __init__.
    from attrs import define as model
else:

    def model(cls: type[T]) -> type[T]:
        """Declare a Go struct mirror: mutable, slotted, keyword-only (structs have dozens of fields)."""
        cls.__repr__ = fields_repr
        return attrs.define(kw_only=True, repr=False)(cls)


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
