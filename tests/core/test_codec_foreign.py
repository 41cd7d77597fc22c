"""Issue 11, item 5: foreign structures (OCI LinuxResources, runc's Cgroup, netlink's Addr) are encoded
only when Go's structs would read them back into the same value; decoding stays as lenient as Go's."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from persist_core import codec
from persist_core.codec.foreign import check_foreign
from persist_core.errors import EncodeError
from persist_core.model import ContainerConfig, NetworkInterface, SandboxConfig, SandboxState, foreign
from persist_core.testing.strategies import foreign_values, json_values

ADDR = {
    "IP": "10.244.1.17",
    "Mask": "////AA==",
    "Label": "eth0",
    "Flags": 128,
    "Scope": 0,
    "Peer": {"IP": "10.244.1.1", "Mask": "/////w=="},
    "Broadcast": "10.244.1.255",
    "PreferedLft": 4294967295,
    "ValidLft": 4294967295,
    "LinkIndex": 3,
}


@pytest.mark.parametrize(
    ("obj", "fragment"),
    [
        (SandboxConfig(cgroups="garbage"), r"SandboxConfig\.cgroups: expected a JSON object for Go's cgroups\.Cgroup"),
        (SandboxConfig(cgroups=[{"path": "/x"}]), "expected a JSON object"),
        (
            SandboxConfig(cgroups={"memory": 1.5}),
            r"cgroups\.memory: expected a Go int64 \(an integer\), got number 1\.5",
        ),
        (SandboxConfig(cgroups={"memory": True}), r"cgroups\.memory: expected a Go int64"),
        (SandboxConfig(cgroups={"pids_limit": 2**63}), "out of range for Go int64"),
        (SandboxConfig(cgroups={"devices": [{"type": 97}]}), r"cgroups\.devices\[0\]: key 'major' is missing"),
        (SandboxConfig(cgroups={"Path": "/x"}), "Go reads it as 'path'"),
        (SandboxConfig(cgroups={"path": "/x", "SystemdProps": []}), "has no key 'SystemdProps': Go would drop it"),
        (SandboxConfig(cgroups={"path": ""}), "Go leaves out empty values"),
        (SandboxConfig(cgroups={"cpu_burst": None}), "Go leaves out empty values"),
        (ContainerConfig(resources={"memory": {"limit": "1G"}}), r"Resources\.memory\.limit: expected a Go int64"),
        (ContainerConfig(resources={"pids": {}}), r"Resources\.pids: key 'limit' is missing"),
        (ContainerConfig(resources={"unified": {"a": None}}), r"Resources\.unified\['a'\]: null"),
        (ContainerConfig(resources={"cpu": {"cpus": 3}}), r"cpu\.cpus: expected a string"),
        (NetworkInterface(addrs=[{**ADDR, "IP": "::ffff:10.0.0.1"}]), "Go writes it as '10.0.0.1'"),
        (NetworkInterface(addrs=[{**ADDR, "IP": "FE80::1"}]), "Go writes it as 'fe80::1'"),
        (NetworkInterface(addrs=[{**ADDR, "IP": "010.0.0.1"}]), "Go cannot read it as an IP address"),
        (NetworkInterface(addrs=[{**ADDR, "Mask": "////AA"}]), "not standard padded base64"),
        (NetworkInterface(addrs=[{k: v for k, v in ADDR.items() if k != "Mask"}]), "has IP but not Mask"),
        (NetworkInterface(addrs=[{k: v for k, v in ADDR.items() if k != "Label"}]), "key 'Label' is missing"),
        (NetworkInterface(addrs=[None]), r"Addrs\[\]: null"),
    ],
)
def test_what_go_would_not_read_back_unchanged_is_refused_naming_the_path(obj: object, fragment: str) -> None:
    with pytest.raises(EncodeError, match=fragment):
        codec.dumps(obj)


def test_go_shaped_values_encode_and_decoding_stays_lenient() -> None:
    sandbox = SandboxState(sandbox_container="sb", config=SandboxConfig(cgroups={"path": "/kata", "memory": 5}))
    assert b'"cgroups":{"path":"/kata","memory":5}' in codec.dumps(sandbox)
    assert codec.dumps(NetworkInterface(addrs=[ADDR, {k: v for k, v in ADDR.items() if k not in ("IP", "Mask")}]))
    lenient = codec.loads(b'{"Config":{"cgroups":"garbage"},"SandboxContainer":"sb"}', SandboxState)
    assert lenient.config.cgroups == "garbage"
    with pytest.raises(EncodeError):
        codec.dumps(lenient)


def _positions(value: Any, found: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            found.append((value, key))
            _positions(item, found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.append((value, index))
            _positions(item, found)
    return found


def _keys(kind: foreign.Kind, found: set[str]) -> set[str]:
    if isinstance(kind, foreign.Struct):
        found.update(kind.fields)
        for field in kind.fields.values():
            _keys(field.kind, found)
    for inner in ("target", "item", "value"):
        if hasattr(kind, inner):
            _keys(getattr(kind, inner), found)
    return found


ODD_SCALARS = st.sampled_from(
    [None, 0, 1, -1, 1.0, 1.5, "", "x", True, False, [], {}, 2**64, "::ffff:1.2.3.4", "1.2.3.4"]
)


def _fresh(draw: st.DrawFn, values: st.SearchStrategy[Any]) -> Any:
    """A drawn value of our own to change: strategies may hand out shared objects (ODD_SCALARS' ``[]`` and
    ``{}``), and changing one in place makes later examples draw differently, which hypothesis reports
    as FlakyStrategyDefinition (seen once in seven runs of tests/core, and once in a hunt of 800 batches)."""
    return copy.deepcopy(draw(values))


@st.composite
def candidates(draw: st.DrawFn, go_type: str) -> Any:
    """Values Go reads back unchanged, and the same with a few changes that it may or may not."""
    value = _fresh(draw, foreign_values(go_type))
    known = sorted(_keys(foreign.SCHEMAS[go_type](), set()))
    for _ in range(draw(st.integers(0, 2))):
        positions = _positions(value, [])
        kind = draw(st.sampled_from(["replace", "delete", "add", "rename"]))
        if not positions or kind == "add":
            target = value if not positions else draw(st.sampled_from([value] + [c[k] for c, k in positions]))
            if isinstance(target, dict):
                target[draw(st.sampled_from(known) | st.just("Unknown"))] = _fresh(draw, ODD_SCALARS | json_values())
            continue
        container, key = draw(st.sampled_from(positions))
        if kind == "replace":
            container[key] = _fresh(draw, ODD_SCALARS | json_values())
        elif kind == "delete" and isinstance(container, dict):
            del container[key]
        elif kind == "rename" and isinstance(container, dict):
            container[key.upper() if key != key.upper() else key.lower()] = container.pop(key)
    return value


def _same(a: Any, b: Any) -> bool:
    """JSON equality with Python's 1 == 1.0 == True kept apart; object keys in any order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


MODES = {"specs.LinuxResources": "resources", "cgroups.Cgroup": "cgroup", "netlink.Addr": "addr"}


@pytest.mark.parametrize("go_type", sorted(MODES))
@settings(
    max_examples=25,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=[HealthCheck.data_too_large, HealthCheck.too_slow],
)
@given(data=st.data())
def test_the_check_agrees_with_go_on_generated_values(go_json, go_type: str, data: st.DataObject) -> None:  # type: ignore[no-untyped-def]
    """Differential: Go decodes each value into its struct and encodes it again; persist accepts exactly
    the values that come back the same."""
    values = data.draw(st.lists(candidates(go_type), min_size=25, max_size=25))
    answers = go_json(MODES[go_type], [json.dumps(value) for value in values])
    for value, answer in zip(values, answers, strict=True):
        go_keeps = not answer.startswith("error:") and _same(json.loads(answer), value)
        try:
            check_foreign(value, go_type, "x")
            ours = True
        except ValueError:
            ours = False
        assert ours == go_keeps, (value, answer)
