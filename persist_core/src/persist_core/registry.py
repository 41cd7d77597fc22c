"""Finding drivers: in-process registrations first, then the ``persist.drivers`` entry points.

Plugins are loaded with stevedore by name, so asking for one driver never imports another, and one
broken plugin cannot break listing or loading the rest. Opening a driver scans the entry points once,
through stevedore (whose scan is cached on disk); only listing and the not-found message read them
with ``importlib.metadata``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from persist_core.driver import PersistDriver
from persist_core.errors import DriverLoadError, DriverNotFoundError, InvalidArgumentError, PersistError

ENTRY_POINT_GROUP = "persist.drivers"
DEFAULT_DRIVER_ENV = "PERSIST_DRIVER"

DriverFactory = Callable[..., PersistDriver]

_log = logging.getLogger(__name__)
_registered: dict[str, DriverFactory] = {}


def register_driver(name: str, factory: DriverFactory) -> DriverFactory | None:
    """Make ``get_driver(name)`` call ``factory(**options)``; wins over an installed plugin of that name.

    Returns the factory this replaces in-process (None if there was none), so that it can be restored.
    """
    if not isinstance(name, str) or not name:
        raise InvalidArgumentError(f"driver name must be a non-empty string, got {name!r}")
    previous = _registered.get(name)
    _registered[name] = factory
    return previous


def unregister_driver(name: str) -> None:
    """Undo ``register_driver``; an installed plugin of that name becomes visible again."""
    _registered.pop(name, None)


def _installed_names() -> set[str]:
    from importlib.metadata import entry_points  # only listing needs it; stevedore does its own lookup

    # Reading entry-point metadata imports nothing from the plugins themselves.
    return {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available_drivers() -> list[str]:
    """Names of every registered and installed driver, sorted, without importing any of them."""
    return sorted(_installed_names() | set(_registered))


def default_driver_name() -> str:
    """``$PERSIST_DRIVER`` if set, else "fs" for root and "rootlessfs" for everyone else."""
    return os.environ.get(DEFAULT_DRIVER_ENV) or ("fs" if os.geteuid() == 0 else "rootlessfs")


def _not_found(name: str) -> DriverNotFoundError:
    installed = ", ".join(available_drivers()) or "none"
    return DriverNotFoundError(
        f"no persist driver named {name!r} (installed: {installed}); install the distribution that "
        f"provides it (for example `pip install persist-{name}`) or call register_driver({name!r}, factory)"
    )


def _construct(name: str, factory: DriverFactory, options: dict[str, Any]) -> PersistDriver:
    try:
        driver = factory(**options)
    except PersistError:
        raise  # the driver's own, already clear, complaint about its options
    except Exception as exc:
        raise DriverLoadError(f"persist driver {name!r} failed to start with options {options!r}: {exc}") from exc
    if not isinstance(driver, PersistDriver):
        raise DriverLoadError(f"persist driver {name!r} produced {type(driver).__name__}, not a PersistDriver")
    return driver


def _load_plugin(name: str) -> DriverFactory:
    from stevedore import DriverManager  # imported on first use: it is not needed to name drivers
    from stevedore.exception import MultipleMatches, NoMatches
    from stevedore.extension import ExtensionManager

    # stevedore remembers a group's entry points for the life of the process; forget them so that it
    # agrees with available_drivers() about plugins that appeared on sys.path since (its own cache of
    # the scan, keyed by sys.path and file times, keeps this cheap).
    ExtensionManager.ENTRY_POINT_CACHE.pop(ENTRY_POINT_GROUP, None)

    failures: list[BaseException] = []

    def on_failure(_manager: object, entry_point: object, exc: BaseException) -> None:
        _log.debug("persist driver %r failed to load", name, exc_info=exc)
        failures.append(exc)

    try:
        manager: Any = DriverManager(
            namespace=ENTRY_POINT_GROUP,
            name=name,
            invoke_on_load=False,
            on_load_failure_callback=on_failure,
        )
    except NoMatches:
        if failures:
            raise DriverLoadError(f"persist driver {name!r} failed to import: {failures[0]}") from failures[0]
        raise _not_found(name) from None
    except MultipleMatches as exc:
        raise DriverLoadError(f"more than one installed distribution provides persist driver {name!r}") from exc
    factory: DriverFactory = manager.driver
    return factory


def get_driver(name: str | None = None, **options: Any) -> PersistDriver:
    """The driver registered or installed as ``name`` (default: see ``default_driver_name``).

    Keyword options go to the driver's constructor; ``driver.options`` gives them back.
    """
    name = name or default_driver_name()
    factory = _registered.get(name)
    if factory is None:
        factory = _load_plugin(name)  # raises DriverNotFoundError when no plugin has that name
    return _construct(name, factory, options)
