"""A runtime's life against a driver with its caches on, checked after every step by a reader with none.

The runtime keeps its objects and changes them in place between saves (right and wrong types that
compare equal, lists and tuples, str enums), adds and removes containers, loads and changes what it
loaded, destroys; other writers change the store behind its back. After every step:

- the store holds exactly the bytes of the last successful write, whoever made it (a reader with no
  caches, and the store's raw records, say so);
- a save refused exactly what ``codec.dumps`` refuses in a fresh process, with its message, and stored
  nothing; a save that returned stored the fresh encoding of the objects as they were passed;
- nothing a load returned is shared with a cache or with another load.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from trust_values import OPTIONS, PIDS, STATES, TOKENS, FreshCodec, Phase, Text, container, sandbox

from persist_core import PersistDriver, codec
from persist_core.errors import EncodeError, SandboxNotFoundError

SID = "sb"
CIDS = ["c0", "c1", "c2", "c3"]
Encoded = tuple[bytes, dict[str, bytes]]


def valid_states() -> st.SearchStrategy[Any]:
    return st.builds(
        container,
        state=st.sampled_from(["running", "paused", "stopped"]),
        pid=st.sampled_from([0, 1, 7]),
        token=st.sampled_from(TOKENS),
        options=st.sampled_from([None, ["ro"], []]),
    )


def any_states() -> st.SearchStrategy[Any]:
    return st.builds(
        container,
        state=st.sampled_from(STATES),
        pid=st.sampled_from(PIDS),
        token=st.sampled_from(TOKENS),
        options=st.sampled_from([*OPTIONS, "no mounts"]),
    )


class RuntimeMachine(RuleBasedStateMachine):
    """Subclasses say how to make the driver under test, a cache-free reader, and another writer."""

    #: Set by the test before the machine runs.
    fresh: FreshCodec

    def __init__(self) -> None:
        super().__init__()
        self.driver = self.make_driver()
        self.live: dict[str, Any] = {"c0": container()}
        self.label = "A"
        self.stored: Encoded | None = None
        self.writes = 0

    # -- what a store provides --------------------------------------------------------------------

    def make_driver(self) -> PersistDriver:
        raise NotImplementedError

    def fresh_records(self) -> Encoded | None:
        """What a reader with no cache, made now, finds stored (raw bytes)."""
        raise NotImplementedError

    def other_writer(self) -> Callable[[Any, dict[str, Any]], None]:
        """Saves through another driver instance (or process) of the same store."""
        raise NotImplementedError

    # -- the runtime changes its objects ----------------------------------------------------------

    @rule(cid=st.sampled_from(CIDS), value=st.sampled_from(STATES))
    def set_state(self, cid: str, value: Any) -> None:
        if cid in self.live:
            self.live[cid].state = value

    @rule(cid=st.sampled_from(CIDS), value=st.sampled_from(PIDS))
    def set_pid(self, cid: str, value: Any) -> None:
        if cid in self.live:
            self.live[cid].process.pid = value

    @rule(cid=st.sampled_from(CIDS), value=st.sampled_from(TOKENS))
    def set_token(self, cid: str, value: str) -> None:
        if cid in self.live:
            self.live[cid].process.token = value

    @rule(cid=st.sampled_from(CIDS), value=st.sampled_from(OPTIONS))
    def set_options(self, cid: str, value: Any) -> None:
        if cid in self.live and self.live[cid].mounts:
            self.live[cid].mounts[0].options = value

    @rule(cid=st.sampled_from(CIDS), kind=st.sampled_from([float, "bool", "enum", "subclass", tuple]))
    def same_value_of_another_type(self, cid: str, kind: Any) -> None:
        """What a runtime's own code does unawares: 1 becomes True or 1.0, "running" a str enum member."""
        state = self.live.get(cid)
        if state is None:
            return
        if kind is float and type(state.process.pid) is int:
            state.process.pid = float(state.process.pid)
        elif kind == "bool" and state.process.pid in (0, 1):
            state.process.pid = bool(state.process.pid)
        elif kind == "enum" and state.state in ("running", "paused"):
            state.state = Phase(state.state)
        elif kind == "subclass" and type(state.state) is str:
            state.state = Text(state.state)
        elif kind is tuple and state.mounts and isinstance(state.mounts[0].options, list):
            state.mounts[0].options = tuple(state.mounts[0].options)

    @rule(cid=st.sampled_from(CIDS), state=any_states())
    def put_container(self, cid: str, state: Any) -> None:
        self.live[cid] = state

    @rule(cid=st.sampled_from(CIDS))
    def drop_container(self, cid: str) -> None:
        self.live.pop(cid, None)

    @rule(label=st.sampled_from(["A", "B"]))
    def relabel(self, label: str) -> None:
        self.label = label

    # -- the runtime saves, loads, destroys -------------------------------------------------------

    @rule()
    def save(self) -> None:
        box = sandbox(SID, self.label)
        order = [*self.live, None]  # the driver encodes the containers, then the sandbox
        outcomes = self.fresh.outcomes({cid: state for cid, state in self.live.items()} | {"": box})
        refused = [outcomes[key or ""] for key in order if outcomes[key or ""][0] == "refused"]
        if refused:
            with pytest.raises(EncodeError) as caught:
                self.driver.save(box, self.live)
            assert str(caught.value) == refused[0][1]
            return
        self.driver.save(box, self.live)
        self.stored = (outcomes[""][1], {cid: outcomes[cid][1] for cid in self.live})

    @rule()
    def load_and_change_what_was_loaded(self) -> None:
        if self.stored is None:
            with pytest.raises(SandboxNotFoundError):
                self.driver.load(SID)
            return
        first = self.driver.load(SID)
        second = self.driver.load(SID)
        for loaded in (first, second):
            assert _encoded(loaded) == self.stored
        for state in first[1].values():  # a caller changes what it loaded: no later load may see it
            state.state = "changed by the caller"
            if state.mounts:
                state.mounts[0].source = "/changed"
        first[0].state = "changed by the caller"
        assert _encoded(self.driver.load(SID)) == self.stored
        assert _encoded(second) == self.stored

    @rule()
    def destroy(self) -> None:
        self.driver.destroy(SID)
        self.stored = None

    @rule(label=st.sampled_from(["A", "B", "X"]), states=st.dictionaries(st.sampled_from(CIDS), valid_states()))
    def another_writer_saves(self, label: str, states: dict[str, Any]) -> None:
        box = sandbox(SID, label)
        self.other_writer()(box, states)
        self.stored = (codec.dumps(box), {cid: codec.dumps(state) for cid, state in states.items()})

    @invariant()
    def store_holds_the_last_write(self) -> None:
        assert self.fresh_records() == self.stored

    @precondition(lambda self: self.stored is not None)
    @rule()
    def save_unchanged_objects_again(self) -> None:
        """The trap of a history-dependent cache: saving what this driver saved before, after others wrote."""
        self.save()


def _encoded(loaded: tuple[Any, dict[str, Any]]) -> Encoded:
    box, containers = loaded
    return codec.dumps(box), {cid: codec.dumps(state) for cid, state in containers.items()}
