"""The basic promises most kit tests build on, and which tests depend on which.

When a basic promise fails (say ``_load`` raises ``FileNotFoundError`` for a missing sandbox), dozens of
tests would fail with tracebacks that name other things. Instead the kit's ``test_basic_*`` tests, which
run first, report the broken promise in one message, and the tests that depend on it are skipped saying so.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable[..., object])

_ATTRIBUTE = "__persist_depends_on__"


class Promise(enum.Enum):
    """A promise so basic that a driver breaking it would fail most of the kit for that one reason."""

    EMPTY_STORE = "the `driver` fixture returns a driver on a fresh, empty store"
    NOT_FOUND = "load() of a sandbox that is not stored raises SandboxNotFoundError"
    ROUND_TRIP = "a saved sandbox loads back exactly as saved, and is listed"
    DESTROY = "destroy() removes a stored sandbox, and does nothing for one that is not stored"


def depends_on(*promises: Promise) -> Callable[[F], F]:
    """Mark a kit test as needing only ``promises`` (tests not marked need them all)."""

    def mark(test: F) -> F:
        setattr(test, _ATTRIBUTE, frozenset(promises))
        return test

    return mark


def dependencies_of(test: object) -> frozenset[Promise]:
    """The promises ``test`` needs: what it was marked with, else every basic promise."""
    needed: frozenset[Promise] = getattr(test, _ATTRIBUTE, frozenset(Promise))
    assert isinstance(needed, frozenset)
    return needed
