"""The conformance kit: one pytest class that holds a persist driver to the whole driver contract.

``pip install persist-core[testing]`` brings pytest and hypothesis. Importing this package needs neither;
``DriverConformance`` is imported on first use, after its modules are registered for pytest's assertion
rewriting (so a failing kit assertion shows its values).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from persist_core.testing.samples import KataSample, kata_samples

if TYPE_CHECKING:
    from persist_core.testing.conformance import DriverConformance

__all__ = ["DriverConformance", "KataSample", "kata_samples"]


def __getattr__(name: str) -> Any:
    if name != "DriverConformance":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        import hypothesis  # noqa: F401 - checked here to name the extra that provides it
        import pytest
    except ImportError as exc:
        raise ImportError(
            f"persist_core.testing.DriverConformance needs pytest and hypothesis ({exc}); "
            "install them with `pip install persist-core[testing]`"
        ) from exc
    pytest.register_assert_rewrite("persist_core.testing.suite")
    from persist_core.testing.conformance import DriverConformance

    return DriverConformance
