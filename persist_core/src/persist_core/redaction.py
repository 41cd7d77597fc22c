"""Masking secret driver options in messages, so that a password never reaches a terminal or a log.

An option is secret when its name says so (``password``, ``token``, ``client_key``, ...): drivers are
third-party code, and a naming rule is the one thing the core can apply to all of them without asking.
Options that only name where a secret lives (``password_file``, ``key_path``) are paths and stay readable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"

# Whole words of an option name (split at "_" and "-"), compared in lower case.
_SECRET_WORDS = frozenset({"password", "passwd", "passphrase", "secret", "token", "key", "credential", "credentials"})
_SECRET_SUFFIXES = ("password", "passwd", "secret", "token", "key")  # apikey, authtoken, clientsecret
_PATH_WORDS = frozenset({"file", "path", "dir", "name", "id"})


def is_secret(name: str) -> bool:
    """Whether the option ``name`` holds a secret value (``password``: yes; ``password_file``: no)."""
    words = [word for word in re.split(r"[_\-]+", name.lower()) if word]
    if not words or words[-1] in _PATH_WORDS:
        return False
    return any(word in _SECRET_WORDS or word.endswith(_SECRET_SUFFIXES) for word in words)


def redact_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``options`` with every secret value replaced by ``***``."""
    return {key: MASK if is_secret(key) and value is not None else value for key, value in options.items()}


def secret_values(options: Mapping[str, Any]) -> list[str]:
    """The text of each secret value, longest first (so that one containing another is masked whole)."""
    values = {str(value) for key, value in options.items() if is_secret(key) and value not in (None, "")}
    return sorted(values, key=len, reverse=True)


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret replaced by ``***`` (for messages built elsewhere)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text
