"""Finding drivers: in-process registrations first, then the ``persist.drivers`` entry points.

Plugins are loaded with stevedore by name, so asking for one driver never imports another, and one
broken plugin cannot break listing or loading the rest. Opening a driver scans the entry points once,
through stevedore (whose scan is cached on disk); only listing and the not-found message read them
with ``importlib.metadata``.
"""

from __future__ import annotations

import difflib
import inspect
import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

from persist_core.driver import PersistDriver
from persist_core.errors import DriverLoadError, DriverNotFoundError, InvalidArgumentError, PersistError
from persist_core.redaction import redact_options, redact_text, secret_values

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


def _close_matches(word: str, names: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for a likely typo, else nothing."""
    matches = difflib.get_close_matches(word, list(names), n=3, cutoff=0.6)
    return f" (did you mean {' or '.join(map(repr, matches))}?)" if matches else ""


def _not_found(name: str) -> DriverNotFoundError:
    # Suggest only names that are installed: a guessed package name to install would invite typosquatting.
    installed = available_drivers()
    return DriverNotFoundError(
        f"no persist driver named {name!r}{_close_matches(name, installed)} "
        f"(installed: {', '.join(installed) or 'none'}); `persist drivers` lists them, and a driver is "
        f"added by installing the distribution that provides it or by register_driver({name!r}, factory)"
    )


def _option_names(factory: DriverFactory) -> list[str] | None:
    """The keyword options ``factory`` takes, or None when it takes any (``**options``) or cannot tell."""
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(parameter.kind is inspect.Parameter.VAR_KEYWORD for parameter in parameters):
        return None
    keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [parameter.name for parameter in parameters if parameter.kind in keyword]


def _check_option_names(name: str, factory: DriverFactory, options: dict[str, Any]) -> None:
    """Name an unknown option and list the ones the driver takes (instead of a bare TypeError)."""
    known = _option_names(factory)
    if known is None:
        return
    for key in options:
        if key not in known:
            takes = f"its options: {', '.join(known)}" if known else "it takes no options"
            raise InvalidArgumentError(
                f"persist driver {name!r} has no option {key!r}{_close_matches(key, known)}; {takes}"
            )


def _construct(name: str, factory: DriverFactory, options: dict[str, Any]) -> PersistDriver:
    _check_option_names(name, factory, options)
    secrets = secret_values(options)
    try:
        driver = factory(**options)
    except PersistError as exc:
        # The driver's own, already clear, complaint about its options; a secret in it is masked.
        if secrets and redact_text(str(exc), secrets) != str(exc):
            exc.args = (redact_text(str(exc), secrets),)
        raise
    except Exception as exc:
        # Secret option values (passwords, tokens) are masked, in the options and in the cause's text.
        cause = redact_text(str(exc), secrets)
        raise DriverLoadError(
            f"persist driver {name!r} failed to start with options {redact_options(options)!r}: {cause}"
        ) from exc
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
