"""What the codec's generated functions (encoders, decoders, exact copies) share: a per-type cache, the source
builder that compiles them, and the questions they ask of model types.
"""

from __future__ import annotations

import linecache
from collections.abc import Callable
from typing import Any, Generic, TypeVar, get_args

import attrs

from persist_core.model._gotypes import GoInt
from persist_core.model.gotime import GoTime

F = TypeVar("F")
_UNBUILT = object()


class Refused(Exception):
    """A fast path is not sure about a value: the reference converter decides (it handles it or says why not)."""


class PerType(Generic[F]):
    """A function per declared type, built on first use and kept."""

    def __init__(self) -> None:
        self._cache: dict[Any, F] = {}

    def for_type(self, tp: Any) -> F:
        function = self._cache.get(tp, _UNBUILT)
        if function is _UNBUILT:
            function = self._cache[tp] = self._build(tp)
        return function  # type: ignore[return-value]

    def _build(self, tp: Any) -> F:
        raise NotImplementedError


class Source:
    """The source of one generated function, its namespace, and helpers to write it."""

    def __init__(self, header: str, namespace: dict[str, Any]) -> None:
        self._lines = [header]
        self._namespace = {"Refused": Refused, **namespace}
        self._count = 0

    def compile(self, name: str, filename: str) -> Callable[..., Any]:
        """Compile the function; its source goes into ``linecache`` so that tracebacks show the line."""
        source = "\n".join(self._lines) + "\n"
        exec(compile(source, filename, "exec"), self._namespace)
        linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
        function: Callable[..., Any] = self._namespace[name]
        return function

    def line(self, indent: int, text: str) -> None:
        self._lines.append("    " * indent + text)

    def _name(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}{self._count}"

    def constant(self, value: Any, prefix: str) -> str:
        """A name in the function's namespace bound to ``value``."""
        return self._constant(value, prefix)

    def _constant(self, value: Any, prefix: str) -> str:
        name = self._name(prefix)
        self._namespace[name] = value
        return name

    def _refuse_unless(self, indent: int, condition: str) -> None:
        self.line(indent, f"if not ({condition}):")
        self.line(indent + 1, "raise Refused")


def is_model(tp: Any) -> bool:
    """A mutable model class (GoTime is frozen and handled as a scalar)."""
    return isinstance(tp, type) and attrs.has(tp) and tp is not GoTime


def holds_models(tp: Any) -> bool:
    """Whether a field of type ``tp`` holds model objects (directly, or in an Optional, list or dict)."""
    return is_model(tp) or any(holds_models(arg) for arg in get_args(tp) if not isinstance(arg, (GoInt, str)))
