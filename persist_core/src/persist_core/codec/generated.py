"""What the codec's generated functions share: the source builder that compiles them (their source goes
into ``linecache``, so a traceback through one shows its line), and their two signals."""

from __future__ import annotations

import linecache
from collections.abc import Callable
from typing import Any


class Refused(Exception):
    """A generated function is not sure about a value: the reference converter decides (it handles it or
    says why not)."""


class NotExact(Exception):
    """A value cannot be copied exactly (see codec.exact), so it must not be cached."""


class Source:
    """The source of one generated function, its namespace, and helpers to write it."""

    def __init__(self, header: str, namespace: dict[str, Any]) -> None:
        self._lines = [header]
        self._namespace = {"Refused": Refused, "NotExact": NotExact, **namespace}
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

    def name(self, prefix: str) -> str:
        """A new local variable name."""
        self._count += 1
        return f"{prefix}{self._count}"

    def constant(self, value: Any, prefix: str) -> str:
        """A name in the function's namespace bound to ``value``."""
        name = self.name(prefix)
        self._namespace[name] = value
        return name

    def refuse_unless(self, indent: int, condition: str) -> None:
        self.line(indent, f"if not ({condition}):")
        self.line(indent + 1, "raise Refused")

    def call(self, function: Callable[[Any], Any], src: str, dst: str, indent: int) -> None:
        """``dst = function(src)``, the function bound in the namespace."""
        self.line(indent, f"{dst} = {self.constant(function, 'f')}({src})")
