"""Go's JSON rules, one by one: what kata's decoder accepts and refuses, and how its encoder writes."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from persist_core import codec
from persist_core.errors import CorruptStateError, EncodeError
from persist_core.model import (
    BlockDrive,
    Bridge,
    ContainerState,
    DeviceMap,
    DeviceState,
    GoTime,
    HypervisorConfig,
    HypervisorState,
    Mount,
    PciPath,
    Process,
    SandboxConfig,
    SandboxState,
    VFIODev,
)
from persist_core.testing.strategies import container_states, json_values, model_objects, sandbox_states

# -- decoding leniency, as Go's encoding/json -----------------------------------------------------


def test_unknown_keys_are_ignored_and_missing_keys_keep_zero_values() -> None:
    state = codec.loads(b'{"State":"running","FromTheFuture":{"x":1}}', ContainerState)
    assert state == ContainerState(state="running")


def test_keys_match_case_insensitively_but_exact_match_wins() -> None:
    assert codec.loads(b'{"persistversion":2}', SandboxState).persist_version == 2
    assert codec.loads(b'{"pid":7,"Pid":9}', Process).pid == 9
    assert codec.loads(b'{"Pid":9,"pid":7}', Process).pid == 7  # Go: the last one written wins


def test_null_into_a_non_pointer_field_keeps_the_zero_value() -> None:
    state = codec.loads(b'{"State":null,"Rootfs":null,"Process":{"Pid":null}}', ContainerState)
    assert state == ContainerState()


def test_null_nil_and_empty_stay_three_different_things() -> None:
    absent = codec.loads(b"{}", DeviceState)
    nil = codec.loads(b'{"DriverOptions":null,"VFIODevs":null}', DeviceState)
    empty = codec.loads(b'{"DriverOptions":{},"VFIODevs":[]}', DeviceState)
    assert absent.driver_options is None and nil.driver_options is None
    assert empty.driver_options == {}
    assert b'"DriverOptions":null' in codec.dumps(nil)
    assert b'"DriverOptions":{}' in codec.dumps(empty)
    # omitempty: Go drops nil and empty slices alike
    assert b"VFIODevs" not in codec.dumps(empty)
    assert b'"VFIODevs":[null]' in codec.dumps(DeviceState(vfio_devs=[None]))


def test_pcipath_accepts_any_object_and_writes_braces() -> None:
    drive = codec.loads(b'{"PCIPath":{"slots":[1,2]},"Index":3}', BlockDrive)
    assert drive == BlockDrive(index=3, pci_path=PciPath())
    assert codec.loads(b'{"PCIPath":null}', BlockDrive).pci_path == PciPath()
    assert codec.dumps(PciPath()) == b"{}\n"
    with pytest.raises(CorruptStateError, match="expected an object for PciPath"):
        codec.loads(b'{"GuestPciPath":"02/01"}', VFIODev)


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        (b'{"Pid":"7"}', "expected a Go int (an integer), got string '7' @ $.Pid"),
        (b'{"Pid":7.0}', "got number 7.0"),
        (b'{"Pid":4.38e2}', "got number 438.0"),
        (b'{"Pid":9223372036854775808}', "out of range for Go int"),
        (b'{"Token":5}', "expected a string, got integer 5 @ $.Token"),
        (b'{"StartTime":"2025-03-14 09:26:53Z"}', "not an RFC 3339 time"),
        (b'{"StartTime":"2025-02-30T00:00:00Z"}', "time out of range"),
    ],
)
def test_wrong_types_say_what_and_where(document: bytes, fragment: str) -> None:
    with pytest.raises(CorruptStateError) as info:
        codec.loads(document, Process, source="/run/vc/sbs/x/c/persist.json")
    assert fragment in str(info.value)
    assert str(info.value).startswith("/run/vc/sbs/x/c/persist.json: ")


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        (b'{"DeviceMaps":[{"UID":-1}]}', "out of range for Go uint32 [0, 4294967295] @ $.DeviceMaps[0].UID"),
        (b'{"DeviceMaps":{"UID":1}}', "expected an array, got object @ $.DeviceMaps"),
        (b'{"Mounts":"abc"}', "expected an array, got string"),
        (b'{"Rootfs":[]}', "expected an object for RootfsState, got array @ $.Rootfs"),
    ],
)
def test_nested_errors_name_the_path(document: bytes, fragment: str) -> None:
    with pytest.raises(CorruptStateError, match="not a valid ContainerState") as info:
        codec.loads(document, ContainerState)
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    "document",
    [b"", b"{", b'{"State":"x"', b"\xef\xbb\xbf{}", b"[]", b"null", b"42", b'{"a":NaN}', b"{} {}", b'{"a":1e999}'],
)
def test_not_a_document_is_corrupt(document: bytes) -> None:
    with pytest.raises(CorruptStateError):
        codec.loads(document, ContainerState)


def test_map_keys_must_be_numbers_where_go_has_numeric_keys() -> None:
    with pytest.raises(CorruptStateError, match="map key 'x' is not an integer"):
        codec.loads(b'{"DeviceAddr":{"x":"y"}}', Bridge)
    with pytest.raises(CorruptStateError, match="out of range for Go uint32"):
        codec.loads(b'{"DeviceAddr":{"-1":"y"}}', Bridge)


@given(json_values())
@settings(max_examples=200, deadline=None)
def test_any_json_decodes_or_is_corrupt_never_anything_else(value: object) -> None:
    data = json.dumps(value).encode()
    for cls in (SandboxState, ContainerState):
        try:
            obj = codec.loads(data, cls)
        except CorruptStateError:
            continue
        assert isinstance(obj, cls)


# -- encoding as Go writes -------------------------------------------------------------------------


def test_map_keys_are_sorted_as_strings_struct_keys_keep_go_order() -> None:
    state = HypervisorState(block_index_map={10, 2, 0, 1})
    assert b'"BlockIndexMap":{"0":{},"1":{},"10":{},"2":{}},"Type"' in codec.dumps(state)
    bridge = Bridge(device_addr={12: "a", 2: "b"})
    assert codec.dumps(bridge).startswith(b'{"DeviceAddr":{"12":"a","2":"b"},"Type":"","ID":""')
    config = SandboxConfig(cgroups={"path": "/p", "name": "n"})
    assert b'"cgroups":{"path":"/p","name":"n"}' in codec.dumps(config)  # a foreign struct keeps its own order


def test_html_and_line_separators_are_escaped_like_go() -> None:
    mount = Mount(source='<a&b>\u2028\u2029 é 日本 \x7f \x01 \b\f\n\t"\\')
    out = codec.dumps(mount)
    expected = '"Source":"\\u003ca\\u0026b\\u003e\\u2028\\u2029 é 日本 \x7f \\u0001 \\b\\f\\n\\t\\"\\\\"'
    assert expected.encode() in out
    assert codec.loads(out, Mount) == mount


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0"),
        (-0.0, "-0"),
        (1.0, "1"),
        (1.5, "1.5"),
        (0.1, "0.1"),
        (1 / 3, "0.33333334"),
        (134217728.0, "134217730"),
        (1e-6, "0.000001"),
        (1e-7, "1e-7"),
        (2.5e-6, "0.0000025"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (3.4028234663852886e38, "3.4028235e+38"),
        (-1.25e-10, "-1.25e-10"),
    ],
)
def test_float32_prints_as_go_prints_it(value: float, text: str) -> None:
    out = codec.dumps(HypervisorConfig(num_vcpus_f=value))
    assert f'"NumVCPUsF":{text},'.encode() in out
    again = codec.loads(out, HypervisorConfig).num_vcpus_f
    assert again == pytest.approx(value, rel=1e-7) and math.copysign(1, again) == math.copysign(1, value)


def test_float32_holds_what_go_holds() -> None:
    assert codec.loads(b'{"NumVCPUsF":0.1}', HypervisorConfig).num_vcpus_f == 0.10000000149011612
    assert codec.loads(b'{"NumVCPUsF":3.4028235e+38}', HypervisorConfig).num_vcpus_f == 3.4028234663852886e38
    with pytest.raises(CorruptStateError, match="out of range for Go float32"):
        codec.loads(b'{"NumVCPUsF":1e39}', HypervisorConfig)


def test_negative_zero_is_zero_for_integers() -> None:
    assert codec.loads(b'{"Pid":-0}', Process).pid == 0


@pytest.mark.parametrize(
    ("obj", "fragment"),
    [
        (Process(pid="7"), "expected a Go int"),  # type: ignore[arg-type]
        (Process(pid=True), "expected a Go int"),
        (DeviceMap(uid=2**32), "out of range for Go uint32"),
        (DeviceMap(file_mode=-1), "out of range for Go os.FileMode"),
        (Process(token=b"x"), "expected a string"),  # type: ignore[arg-type]
        (Process(start_time="2020-01-01T00:00:00Z"), "expected a GoTime"),  # type: ignore[arg-type]
        (Process(start_time=GoTime(unix_seconds=0, utc_offset=86_400)), "cannot write UTC offset"),
        (Process(start_time=GoTime(unix_seconds=10**12)), "outside Go's RFC 3339 range"),
        (ContainerState(rootfs={"FsType": "xfs"}), "expected RootfsState, got dict"),  # type: ignore[arg-type]
        (ContainerState(mounts=[Mount(), "x"]), "expected Mount, got str"),  # type: ignore[list-item]
        (ContainerState(mounts=(Mount(),)), "expected a list, got tuple"),  # type: ignore[arg-type]
        (HypervisorConfig(num_vcpus_f=float("nan")), "float32"),
        (HypervisorConfig(num_vcpus_f=1e39), "out of range for Go float32"),
        (HypervisorState(block_index_map=[1, 2]), "expected a set"),  # type: ignore[arg-type]
        (SandboxConfig(cgroups={"x": object()}), "not JSON serializable"),
        (SandboxConfig(cgroups={"memory": float("inf")}), "Out of range float"),
        (Mount(source="\ud800"), "surrogate"),
    ],
)
def test_what_go_could_not_write_is_refused(obj: object, fragment: str) -> None:
    with pytest.raises(EncodeError, match="cannot encode") as info:
        codec.dumps(obj)
    assert fragment in str(info.value)


# -- properties ------------------------------------------------------------------------------------


@given(sandbox_states())
@settings(max_examples=150, deadline=None)
def test_generated_sandboxes_round_trip(state: SandboxState) -> None:
    data = codec.dumps(state)
    again = codec.loads(data, SandboxState)
    assert again == state
    assert codec.dumps(again) == data


@given(container_states())
@settings(max_examples=150, deadline=None)
def test_generated_containers_round_trip(state: ContainerState) -> None:
    data = codec.dumps(state)
    assert codec.loads(data, ContainerState) == state
    assert data.endswith(b"}\n") and b"\n" not in data[:-1]


@given(model_objects(Process), st.sampled_from(["Pid", "Token", "StartTime"]), json_values())
@settings(max_examples=150, deadline=None)
def test_replacing_any_value_decodes_or_is_corrupt(process: Process, key: str, value: object) -> None:
    document = json.loads(codec.dumps(process))
    document[key] = value
    try:
        again = codec.loads(json.dumps(document).encode(), Process)
    except CorruptStateError:
        return
    assert isinstance(again, Process)
