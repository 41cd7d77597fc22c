"""Which kit tests need which driver capability, and the visible skip when a driver does not declare it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from persist_core.driver import Capability

F = TypeVar("F", bound=Callable[..., object])

_ATTRIBUTE = "__persist_requires__"


def requires(*capabilities: Capability) -> Callable[[F], F]:
    """Mark a kit test as meaningful only for drivers that declare every one of ``capabilities``."""

    def mark(test: F) -> F:
        setattr(test, _ATTRIBUTE, frozenset(capabilities))
        return test

    return mark


def required_by(test: object) -> frozenset[Capability]:
    """The capabilities ``test`` was marked with (none for the base contract)."""
    needed: frozenset[Capability] = getattr(test, _ATTRIBUTE, frozenset())
    assert isinstance(needed, frozenset)
    return needed


def skip_reason(driver_name: str, needed: frozenset[Capability], declared: Iterable[Capability]) -> str | None:
    """Why a test must be skipped for this driver, or None when the driver declares all it needs."""
    missing = sorted(needed - frozenset(declared), key=lambda capability: capability.name)
    if not missing:
        return None
    names = ", ".join(f"Capability.{capability.name}" for capability in missing)
    return f"driver {driver_name!r} does not declare {names} (in its class attribute `capabilities`)"
