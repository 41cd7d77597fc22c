"""Exact copies and exact comparisons of model objects: what lets a cache stand in for the codec unseen.

A cache may hand out a copy instead of decoding again, or reuse the bytes of an earlier encoding, only if
the codec could not tell the difference. The codec looks at types as well as values (``7.0``, ``True`` and
a ``str`` enum member are refused where Go holds an int or a string, though they compare equal to one),
at the sign of a float zero, and at the order of a foreign structure's keys. So both functions here are
*type-exact*, guided by the declared types (each type's ``copy`` and ``same``, see codec.gotypes):

- ``copy(obj)`` returns a copy that shares nothing mutable and has, at every node, exactly the type and
  value of the original; it raises :class:`NotExact` for anything else (a subclass, a tuple for a list,
  an object the codec would refuse or convert), and then nothing may be cached for that object.
- ``same(saved, obj)`` is True only when ``obj`` has, at every node, the type and value of
  ``saved`` (an exact copy): the codec then gives both the same bytes, or refuses neither.
"""

from __future__ import annotations

from typing import Any

from persist_core.codec.describe import describe
from persist_core.codec.generated import NotExact
from persist_core.codec.gotypes.structs import Struct

__all__ = ["Exact", "NotExact"]


class Exact:
    """Exact copies and comparisons of model objects, by their classes' descriptions."""

    def copy(self, obj: Any) -> Any:
        """An exact, unshared copy of a model object, or NotExact."""
        description = describe(type(obj))
        if not isinstance(description, Struct):
            raise NotExact
        return description.copy(obj)

    def same(self, saved: Any, obj: Any) -> bool:
        """Whether ``obj`` is, type for type and value for value, the exact copy ``saved``."""
        return describe(type(saved)).same(saved, obj)
