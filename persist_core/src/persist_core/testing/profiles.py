"""Hypothesis settings for the kit's property and stateful tests, and the bound on shrinking.

The kit uses its own named profile rather than the global one, so a project's hypothesis profile for
its other tests neither slows the kit down nor is changed by it. Choose another profile with
``$PERSIST_CONFORMANCE_PROFILE`` or the ``hypothesis_profile`` class attribute of the test class.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from hypothesis import HealthCheck, settings
from hypothesis.internal.conjecture import engine

#: The default: enough to exercise a driver in seconds, so the whole kit stays well under a minute.
QUICK = "persist-conformance"
#: For a release or a nightly job: many more examples and longer operation sequences.
THOROUGH = "persist-conformance-thorough"
PROFILE_ENV = "PERSIST_CONFORMANCE_PROFILE"

# Storage is slow and its speed varies with the machine's load; only the bugs found matter here. One bug
# per test is reported: hunting for a second one after the first costs minutes on a broken driver.
_COMMON = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    report_multiple_bugs=False,
)
settings.register_profile(QUICK, _COMMON, max_examples=15, stateful_step_count=12)
settings.register_profile(THOROUGH, _COMMON, max_examples=400, stateful_step_count=50)


def kit_settings(profile: str | None = None) -> settings:
    """The settings named by ``profile``, else by ``$PERSIST_CONFORMANCE_PROFILE``, else the quick ones."""
    return settings.get_profile(profile or os.environ.get(PROFILE_ENV) or QUICK)


@contextlib.contextmanager
def bounded_shrinking(seconds: int) -> Iterator[None]:
    """Let hypothesis shrink a failure for at most ``seconds``, then report the smallest found so far.

    Shrinking changes only how small the reported example is, never whether a bug is found; on a slow
    store it can take minutes. Hypothesis keeps its limit in ``engine.MAX_SHRINKING_SECONDS`` and
    documents it as monkeypatchable; it is lowered only while one kit test runs. When the limit is hit,
    hypothesis prints its fixed warning about "more than five minutes": here it means ``seconds``.
    """
    previous = getattr(engine, "MAX_SHRINKING_SECONDS", None)
    if previous is None:  # a hypothesis without the limit: shrink as it does
        yield
        return
    engine.MAX_SHRINKING_SECONDS = min(seconds, previous)
    try:
        yield
    finally:
        engine.MAX_SHRINKING_SECONDS = previous
