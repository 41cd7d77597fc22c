"""Finding drivers: in-process registrations first, then the ``persist.drivers`` entry points.

Entry points are read with ``importlib.metadata``, for listing and loading alike: listing imports no
plugin, asking for one driver imports only that plugin, and a broken plugin fails alone. Each lookup
reads the entry points afresh (importlib.metadata caches each ``sys.path`` directory's listing until the
directory changes), so a plugin installed while the process runs is found by the next lookup.
"""

from __future__ import annotations

import inspect  # every get_driver reads the factory's signature (and cattrs imports it anyway)
import os
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from persist_core.driver import PersistDriver
from persist_core.errors import DriverLoadError, DriverNotFoundError, InvalidArgumentError, PersistError
from persist_core.redaction import redact_options, redact_text, secret_values

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

ENTRY_POINT_GROUP = "persist.drivers"
DEFAULT_DRIVER_ENV = "PERSIST_DRIVER"

DriverFactory = Callable[..., PersistDriver]

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


def _entry_points(name: str | None = None) -> list[EntryPoint]:
    """Every distribution's ``persist.drivers`` entry points (named ``name``), without importing any plugin.

    Each distribution is read, rather than ``importlib.metadata.entry_points()`` taken, because that one
    keeps only the first of two distributions that use one name, and such a clash must be refused.
    """
    from importlib.metadata import distributions  # imported on first use: in-process drivers do without

    found = [
        entry_point
        for dist in distributions()
        if _may_declare_drivers(dist.read_text("entry_points.txt"))
        for entry_point in dist.entry_points.select(group=ENTRY_POINT_GROUP)
    ]
    return found if name is None else [ep for ep in found if ep.name == name]


def _may_declare_drivers(entry_points_text: str | None) -> bool:
    """False when a distribution's entry_points.txt cannot hold our group, which is then never parsed.

    A group is a section header naming it, so its text contains the name whatever the spacing. Reading is
    cheap and parsing is not: skipping the parse of the others takes a fifth off a cold lookup (0.5 ms).
    """
    return entry_points_text is not None and ENTRY_POINT_GROUP in entry_points_text


def _installed_names() -> set[str]:
    return {entry_point.name for entry_point in _entry_points()}


def available_drivers() -> list[str]:
    """Names of every registered and installed driver, sorted, without importing any of them."""
    return sorted(_installed_names() | set(_registered))


def default_driver_name() -> str:
    """``$PERSIST_DRIVER`` if set, else "fs" for root and "rootlessfs" for everyone else."""
    return os.environ.get(DEFAULT_DRIVER_ENV) or ("fs" if os.geteuid() == 0 else "rootlessfs")


def _close_matches(word: str, names: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for a likely typo, else nothing."""
    import difflib  # only an error message needs it

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


def _provider(entry_point: EntryPoint) -> str:
    dist = entry_point.dist
    return f"{entry_point.value}, from {dist.name} {dist.version}" if dist is not None else entry_point.value


def _distinct(entry_points: list[EntryPoint]) -> list[EntryPoint]:
    """One entry point per distribution: one found twice on ``sys.path`` counts once, the first, as Python does."""
    if len(entry_points) < 2:  # the usual case reads no distribution's metadata
        return entry_points
    by_distribution: dict[str, EntryPoint] = {}
    for entry_point in entry_points:
        dist = entry_point.dist
        key = re.sub(r"[-_.]+", "-", dist.name).lower() if dist is not None else entry_point.value
        by_distribution.setdefault(key, entry_point)
    return list(by_distribution.values())


def _load_plugin(name: str) -> DriverFactory:
    """Import the one plugin installed as ``name``; any failure to import it is a DriverLoadError."""
    matches = _distinct(_entry_points(name=name))
    if not matches:
        raise _not_found(name)
    if len(matches) > 1:
        providers = "; ".join(map(_provider, matches))
        raise DriverLoadError(f"more than one installed distribution provides persist driver {name!r}: {providers}")
    (entry_point,) = matches
    try:
        factory: DriverFactory = entry_point.load()
    except Exception as exc:  # whatever the plugin's import raises, it breaks only this driver
        import logging  # only this failure logs: a process that never meets one need not import logging

        logging.getLogger(__name__).debug("persist driver %r failed to load", name, exc_info=exc)
        raise DriverLoadError(f"persist driver {name!r} failed to import ({_provider(entry_point)}): {exc}") from exc
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
