"""Hypothesis strategies for valid model objects, derived from the model's own type annotations.

Every generated object encodes, and decodes back equal to itself: values stay inside Go's ranges,
float32 fields hold float32 values, and omitempty collections are never empty (Go would drop them).
Needs hypothesis (``pip install persist-core[testing]``).
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
from hypothesis import strategies as st

from persist_core.codec.describe import describe
from persist_core.codec.gotypes.base import MAX_LIST
from persist_core.ids import ID_PATTERN, is_valid_id
from persist_core.model import ContainerState, GoTime, SandboxState, foreign
from persist_core.model._fields import OMITEMPTY
from persist_core.model.gotime import _days_from_civil
from persist_core.versioning import CURRENT_PERSIST_VERSION

T = TypeVar("T")

#: Strings Go can hold (no lone surrogates: UTF-8 cannot).
text = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
_FIRST_INSTANT = _days_from_civil(0, 1, 1) * 86_400
_LAST_INSTANT = _days_from_civil(9999, 12, 31) * 86_400 + 86_399


def ids() -> st.SearchStrategy[str]:
    """Valid sandbox and container IDs, including the awkward ones ("-", "a..b", 255 characters)."""
    return st.from_regex(ID_PATTERN, fullmatch=True).filter(is_valid_id)  # is_valid_id: not a RESERVED_ID


@st.composite
def go_times(draw: st.DrawFn) -> GoTime:
    """Instants Go can write: years 0 to 9999 in their own offset, any nanosecond, whole-minute offsets."""
    offset = draw(st.integers(-(23 * 60 + 59), 23 * 60 + 59)) * 60
    local = draw(st.integers(_FIRST_INSTANT, _LAST_INSTANT))
    return GoTime(unix_seconds=local - offset, nanoseconds=draw(st.integers(0, 999_999_999)), utc_offset=offset)


def json_values() -> st.SearchStrategy[Any]:
    """Foreign JSON (cgroups, OCI resources, netlink addresses): no floats, which Python may print differently."""
    scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | text
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=MAX_LIST) | st.dictionaries(text, inner, max_size=3),
        max_leaves=6,
    )


def foreign_values(go_type: str) -> st.SearchStrategy[Any]:
    """JSON that the foreign Go struct (``model.foreign.SCHEMAS``) reads back unchanged, which is what
    encoding accepts: known keys only, omitempty keys only with non-empty values, addresses as Go writes them."""
    return _kind(foreign.SCHEMAS[go_type](), False)


_IPS = st.sampled_from(["", "10.244.1.17", "0.0.0.0", "fe80::a8bb:ccff:fe01:217", "2001:db8::1", "::1", "::"])


@functools.cache
def _kind(kind: foreign.Kind, nonempty: bool) -> st.SearchStrategy[Any]:
    """Values of one foreign kind; ``nonempty``: none that an omitempty field would leave out."""
    return _KINDS[type(kind)](kind, nonempty)


def _or_nil(values: st.SearchStrategy[Any], nonempty: bool) -> st.SearchStrategy[Any]:
    return values if nonempty else st.none() | values


def _struct(kind: foreign.Struct, nonempty: bool) -> st.SearchStrategy[Any]:
    grouped = set().union(*kind.together)
    required = {k: _kind(f.kind, False) for k, f in kind.fields.items() if not f.omitempty and k not in grouped}
    optional = {k: _kind(f.kind, True) for k, f in kind.fields.items() if f.omitempty}
    parts = [st.fixed_dictionaries(required, optional=optional)]
    parts += [
        st.just({}) | st.fixed_dictionaries({k: _kind(kind.fields[k].kind, False) for k in sorted(g)})
        for g in kind.together
    ]
    return st.tuples(*parts).map(lambda dicts: {k: v for d in dicts for k, v in d.items()})


def _integer(kind: foreign.Integer, nonempty: bool) -> st.SearchStrategy[Any]:
    numbers = st.integers(kind.min, kind.max)
    return numbers.filter(bool) if nonempty else numbers


def _scalar(kind: foreign.Scalar, nonempty: bool) -> st.SearchStrategy[Any]:
    if kind.go_type == "bool":
        return st.just(True) if nonempty else st.booleans()
    if kind.go_type == "net.IP":
        return _IPS
    if kind.go_type == "[]byte":
        return st.none() | st.binary(max_size=16).map(lambda b: base64.b64encode(b).decode("ascii"))
    return text.filter(bool) if nonempty else text


_KINDS: dict[type[foreign.Kind], Callable[[Any, bool], st.SearchStrategy[Any]]] = {
    foreign.Struct: _struct,
    foreign.Pointer: lambda kind, nonempty: _or_nil(_kind(kind.target, False), nonempty),
    foreign.Slice: lambda kind, nonempty: _or_nil(
        st.lists(_kind(kind.item, False), min_size=int(nonempty), max_size=MAX_LIST), nonempty
    ),
    foreign.Map: lambda kind, nonempty: _or_nil(
        st.dictionaries(text, _kind(kind.value, False), min_size=int(nonempty), max_size=MAX_LIST), nonempty
    ),
    foreign.Integer: _integer,
    foreign.Scalar: _scalar,
}


def _for_type(tp: Any, omitempty: bool = False) -> st.SearchStrategy[Any]:
    """Valid values of a declared type, from its Go type's description (see codec.gotypes)."""
    return describe(tp).strategy(omitempty)


def model_objects(cls: type[T], **overrides: st.SearchStrategy[Any]) -> st.SearchStrategy[T]:
    """Any model class, every field drawn from its Go type; ``overrides`` fix chosen fields' strategies."""
    fields = {
        field.name: overrides[field.name]
        if field.name in overrides
        else _for_type(field.type, field.metadata.get(OMITEMPTY, False))
        for field in attrs.fields(cls)  # type: ignore[arg-type]
    }
    return st.builds(cls, **fields)


def sandbox_states(
    sandbox_id: str | st.SearchStrategy[str] | None = None, *, max_version: int = CURRENT_PERSIST_VERSION
) -> st.SearchStrategy[SandboxState]:
    """SandboxStates a driver accepts: a valid ID (or the one given) and a PersistVersion it can read."""
    if sandbox_id is None:
        id_strategy = ids()
    elif isinstance(sandbox_id, str):
        id_strategy = st.just(sandbox_id)
    else:
        id_strategy = sandbox_id
    return model_objects(SandboxState, sandbox_container=id_strategy, persist_version=st.integers(0, max_version))


def container_states() -> st.SearchStrategy[ContainerState]:
    return model_objects(ContainerState)


def container_maps(max_size: int = 4) -> st.SearchStrategy[dict[str, ContainerState]]:
    """Container ID to state, as ``driver.save`` takes it."""
    return st.dictionaries(ids(), container_states(), max_size=max_size)
