"""Where a document failed to decode, named as the file names it: ``$.PersistVersion``, not ``$.persist_version``.

cattrs' ``transform_error`` builds paths from Python attribute names; an operator looking at the file
needs its keys, so this walk maps each attribute to the key the model declares for it (``GO_KEY``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs
from cattrs import ClassValidationError, IterableValidationError

from persist_core.model._fields import GO_KEY

Describe = Callable[[BaseException, Any], str]


def _file_keys(cls: type) -> dict[str, str]:
    if not attrs.has(cls):
        return {}
    return {field.name: field.metadata.get(GO_KEY, field.name) for field in attrs.fields(cls)}


def field_errors(exc: BaseException, describe: Describe, path: str = "$") -> list[str]:
    """One ``{problem} @ {path}`` per failure, the path in the file's own keys."""
    steps: list[tuple[BaseException, str, Any]]
    without: Sequence[BaseException]
    if isinstance(exc, IterableValidationError):
        indexed, without = exc.group_exceptions()
        steps = [(inner, f"{path}[{note.index!r}]", note.type) for inner, note in indexed]
    elif isinstance(exc, ClassValidationError):
        keys = _file_keys(exc.cl)
        named, without = exc.group_exceptions()
        steps = [(inner, f"{path}.{keys.get(note.name, note.name)}", note.type) for inner, note in named]
    else:
        return [f"{describe(exc, None)} @ {path}"]
    errors = []
    for inner, inner_path, inner_type in steps:
        if isinstance(inner, (ClassValidationError, IterableValidationError)):
            errors.extend(field_errors(inner, describe, inner_path))
        else:
            errors.append(f"{describe(inner, inner_type)} @ {inner_path}")
    errors.extend(f"{describe(inner, None)} @ {path}" for inner in without)
    return errors
