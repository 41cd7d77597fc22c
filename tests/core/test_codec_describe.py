"""The descriptions of Go types: every field the model declares has one, each holds Go's rules, and the
functions generated from them are the ones the codec runs (their source shown in tracebacks)."""

from __future__ import annotations

import subprocess
import sys
import traceback
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings

from persist_core import codec
from persist_core.codec.describe import describe
from persist_core.codec.gotypes.base import Unknown
from persist_core.codec.gotypes.foreign import ForeignObject, ForeignValue
from persist_core.codec.gotypes.maps import Map, Set
from persist_core.codec.gotypes.pointers import Optional
from persist_core.codec.gotypes.scalars import Integer, String
from persist_core.codec.gotypes.slices import List
from persist_core.codec.gotypes.structs import Struct
from persist_core.codec.gotypes.times import Time
from persist_core.model import MODEL_CLASSES, ContainerState, GoTime, Mount, Process, Uint32
from persist_core.model._fields import GO_KEY, OMITEMPTY, model
from persist_core.model.config import ContainerConfig, SandboxConfig
from persist_core.model.device import DeviceState
from persist_core.model.hypervisor import Bridge, HypervisorState
from persist_core.model.network import NetworkInterface
from persist_core.testing.strategies import model_objects


def field_type(cls: type, name: str) -> Any:
    return attrs.fields_dict(cls)[name].type


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=lambda cls: cls.__name__)
def test_every_declared_field_has_a_go_type(cls: type) -> None:
    for field in attrs.fields(cls):
        assert not isinstance(describe(field.type), Unknown), f"{cls.__name__}.{field.name}: {field.type!r}"


def test_one_description_per_annotation() -> None:
    assert describe(ContainerState) is describe(ContainerState)
    assert describe(list[Mount] | None) is describe(list[Mount] | None)
    assert describe(Uint32) is describe(field_type(Bridge, "device_addr")).non_null.key  # type: ignore[attr-defined]


def test_descriptions_hold_gos_rules() -> None:
    pid = describe(field_type(Process, "pid"))
    assert isinstance(pid, Integer) and (pid.go_type, pid.min, pid.max) == ("int", -(2**63), 2**63 - 1)
    uid = describe(Uint32)
    assert isinstance(uid, Integer) and (uid.go_type, uid.min, uid.max) == ("uint32", 0, 2**32 - 1)
    assert isinstance(describe(GoTime), Time)
    # a nil pointer is left out under omitempty; a slice or map also when empty
    agent = describe(field_type(SandboxConfig, "kata_agent_config"))
    assert isinstance(agent, Optional) and isinstance(agent.inner, Struct) and agent.omitted_texts == ("null",)
    vfio = describe(field_type(DeviceState, "vfio_devs"))
    assert isinstance(vfio, Optional) and isinstance(vfio.inner, List) and vfio.omitted_texts == ("null", "[]")
    # nil and empty are different things: null decodes to None only where Go has a pointer, slice or map
    assert describe(field_type(ContainerState, "mounts")).nullable
    assert not describe(field_type(ContainerState, "state")).nullable
    assert isinstance(describe(field_type(HypervisorState, "block_index_map")).non_null, Set)
    annotations = describe(field_type(ContainerConfig, "annotations")).non_null
    assert isinstance(annotations, Map) and isinstance(annotations.key, String)
    resources = describe(field_type(ContainerConfig, "resources"))
    assert isinstance(resources, ForeignObject) and resources.go_type == "specs.LinuxResources"
    cgroups = describe(field_type(SandboxConfig, "cgroups"))
    assert isinstance(cgroups, ForeignValue) and cgroups.pointer and not cgroups.nullable
    addrs = describe(field_type(NetworkInterface, "addrs")).non_null
    assert isinstance(addrs, List) and isinstance(addrs.item, ForeignValue) and not addrs.item.pointer


@pytest.mark.parametrize("cls", [cls for cls in MODEL_CLASSES if isinstance(describe(cls), Struct)], ids=repr)
def test_decoders_build_model_objects_as_their_init_does(cls: type) -> None:
    """Every model class is made by ``object.__new__`` and its slots, with no keyword call per object; what
    that gives is what ``__init__`` gives (every field set, nothing else), which decoding its own encoding
    shows for a generated object of each class."""
    assert describe(cls)._plain  # the shortcut is in effect for every model class

    @settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(model_objects(cls))
    def check(obj: Any) -> None:
        data = codec.dumps(obj)
        decoded = codec.loads(data, cls)
        built = cls(**{field.alias: getattr(decoded, field.name) for field in attrs.fields(cls)})
        assert decoded == built == obj
        assert codec.dumps(decoded) == data

    check()


def test_a_class_with_validators_or_hooks_is_built_by_its_init() -> None:
    """Where ``__init__`` does more than set slots, the generated decoders call it, so that it still runs."""
    ran: list[object] = []

    def not_seven(_instance: object, _attribute: object, value: int) -> None:
        ran.append(value)
        if value == 7:
            raise ValueError("seven is refused")

    @model(kw_only=True)
    class Validated:
        count: Uint32 = attrs.field(default=0, validator=not_seven, metadata={GO_KEY: "Count", OMITEMPTY: False})

    @model(kw_only=True)
    class Hooked:
        name: str = attrs.field(default="", metadata={GO_KEY: "Name", OMITEMPTY: False})

        def __attrs_post_init__(self) -> None:
            ran.append(self.name)

    for cls in (Validated, Hooked):
        attrs.resolve_types(cls, globals(), locals())
        assert not describe(cls)._plain
    assert describe(Validated).decode({"Count": 3}).count == 3
    with pytest.raises(ValueError, match="seven is refused"):
        describe(Validated).decode({"Count": 7})
    assert describe(Hooked).decode({"Name": "full way"}).name == "full way"
    document = describe(Hooked).msgspec_type()(f0="msgspec way")
    assert describe(Hooked).msgspec_converter(document).name == "msgspec way"
    assert ran == [3, 7, "full way", "msgspec way"]


def test_what_the_model_does_not_use_is_left_to_cattrs() -> None:
    for tp in (int, float, bytes, list, dict, int | str, tuple[int, int]):
        described = describe(tp)
        assert isinstance(described, Unknown) and not described.has_hooks


def test_a_traceback_through_generated_code_shows_its_source() -> None:
    """The generated functions' source is registered in linecache: a traceback through one shows the line."""
    frames = None
    try:
        describe(ContainerState).text(ContainerState(mounts=[Mount(options=[1])]))  # type: ignore[list-item]
    except Exception as exc:
        frames = traceback.extract_tb(exc.__traceback__)
    assert frames is not None
    generated = [frame for frame in frames if frame.filename == "<persist codec: encode ContainerState>"]
    assert generated and generated[-1].line == "raise Refused"


def test_the_codec_does_not_import_hypothesis() -> None:
    code = (
        "import sys\n"
        "from persist_core import codec\n"
        "from persist_core.model import SandboxState\n"
        "codec.loads(codec.dumps(SandboxState()), SandboxState)\n"
        "assert 'hypothesis' not in sys.modules, 'hypothesis imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_msgspec_is_imported_on_the_first_record_only() -> None:
    """A process that never reads or writes a record (``persist --help``, a lock) does not pay for it."""
    code = (
        "import sys, tempfile\n"
        "import persist_core\n"
        "driver = persist_core.get_driver('fs', root=tempfile.mkdtemp())\n"
        "assert 'msgspec' not in sys.modules, 'msgspec imported at start'\n"
        "from persist_core import codec\n"
        "from persist_core.model import SandboxState\n"
        "codec.loads(codec.dumps(SandboxState()), SandboxState)\n"
        "assert 'msgspec' in sys.modules, 'msgspec never used'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_cattrs_is_imported_only_to_explain_a_refusal() -> None:
    """kata's own files round-trip through a driver without the reference converter; the first refusal
    imports it and still names the field at fault."""
    code = (
        "import json, sys, tempfile\n"
        "from importlib.resources import files\n"
        "import persist_core\n"
        "from persist_core import codec\n"
        "from persist_core.errors import CorruptStateError\n"
        "from persist_core.model import ContainerState, SandboxState\n"
        "kata = files('persist_core.testing') / 'kata'  # the shipped fixtures, as testing.samples reads them\n"
        "classes = {'persistapi.SandboxState': SandboxState, 'persistapi.ContainerState': ContainerState}\n"
        "files = json.loads((kata / 'values.json').read_text())['files']\n"
        "for rel, spec in files.items():\n"
        "    data = (kata / rel).read_bytes()\n"
        "    assert codec.dumps(codec.loads(data, classes[spec['decode_as']])) == data, rel\n"
        "sandbox = codec.loads((kata / 'tree-full/sbs/e1f3c2a9d8b7/persist.json').read_bytes(), SandboxState)\n"
        "driver = persist_core.get_driver('fs', root=tempfile.mkdtemp())\n"
        "driver.save(sandbox, {'c1': ContainerState(state='running')})\n"
        "assert driver.load(sandbox.sandbox_container)[0] == sandbox\n"
        "assert 'cattrs' not in sys.modules, 'cattrs imported without a refusal'\n"
        "try:\n"
        "    codec.loads(b'{\"PersistVersion\": \"2\"}', SandboxState, source='x.json')\n"
        "except CorruptStateError as exc:\n"
        "    assert '$.PersistVersion' in str(exc), exc\n"
        "else:\n"
        "    raise AssertionError('a string PersistVersion was accepted')\n"
        "assert 'cattrs' in sys.modules, 'the refusal was explained without the converter'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
