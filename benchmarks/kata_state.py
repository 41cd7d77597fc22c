"""The state of the kata comparison: a Kubernetes pod on qemu, as kata would save it, and "salted" copies.

The sandbox record (13.9 KiB) is what kata writes for a pod on the qemu hypervisor: qemu's hypervisor
config as kata's ``configuration-qemu.toml`` sets it, a PCI bridge, a veth endpoint with IPv4 and IPv6
addresses, two SCSI volumes, and the configs of the pod's seven containers (the pause container and six
app containers) with the annotations containerd's CRI plugin and kata put there. It stays the same size
whatever N (kata's own record would grow with the pod): the containers saved beside it are N of the
benchmark's usual container records.

A *salted* copy has every non-empty string replaced by a new one of the same length for each salt (IPs
and times stay valid, and only the netmasks' base64 repeats), so a load of a salted copy never seen
before cannot be served by any cache. Salting works on the JSON document, so it needs no model objects.
"""

from __future__ import annotations

import json
import re
from typing import Any

from benchmarks.states import Workload, hex_id
from persist_core import ContainerState, SandboxState, codec

#: JSON keys whose value is a Go map (their keys are data); every other object's keys are field names.
MAP_KEYS = frozenset({"CgroupPaths", "DriverOptions", "Annotations", "DeviceAddr", "BlockIndexMap", "rdma", "unified"})
#: Keys whose string must stay a valid ``net.IP`` text for Go's decoder.
IP_KEYS = frozenset({"IP", "Broadcast"})
_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$")

POD_CONTAINERS = 7  # the pause container and six app containers in the sandbox's ContainerConfigs


def go_json(document: Any) -> bytes:
    """The bytes Go's ``json.Encoder`` writes for a document whose key order is already Go's."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028")):
        text = text.replace(char, escape)
    return (text.replace("\u2029", "\\u2029") + "\n").encode()


def _annotations(sid: str, cid: str, kind: str, name: str) -> dict[str, str]:
    pod, namespace, uid = "web-frontend-7d9c6b5f4-x2k8p", "shop", "5b7e2a31-9c4d-4f1e-a6b8-0d2c3e4f5a6b"
    notes = {
        "io.katacontainers.pkg.oci.bundle_path": f"/run/containerd/io.containerd.runtime.v2.task/k8s.io/{cid}",
        "io.katacontainers.pkg.oci.container_type": "pod_sandbox" if kind == "sandbox" else "pod_container",
        "io.kubernetes.cri.container-type": kind,
        "io.kubernetes.cri.sandbox-id": sid,
        "io.kubernetes.cri.sandbox-name": pod,
        "io.kubernetes.cri.sandbox-namespace": namespace,
        "io.kubernetes.cri.sandbox-uid": uid,
    }
    if kind == "sandbox":
        notes |= {
            "io.katacontainers.config.hypervisor.default_memory": "2048",
            "io.katacontainers.config.hypervisor.default_vcpus": "2",
            "io.kubernetes.cri.sandbox-cpu-period": "100000",
            "io.kubernetes.cri.sandbox-cpu-quota": "250000",
            "io.kubernetes.cri.sandbox-cpu-shares": "1126",
            "io.kubernetes.cri.sandbox-log-directory": f"/var/log/pods/{namespace}_{pod}_{uid}",
            "io.kubernetes.cri.sandbox-memory": "1610612736",
            "kubernetes.io/config.seen": "2026-11-30T09:12:44.182736451Z",
            "kubernetes.io/config.source": "api",
        }
    else:
        notes |= {
            "io.kubernetes.cri.container-name": name,
            "io.kubernetes.cri.image-name": f"registry.example.com/shop/{name}:v2.14.3",
        }
    return dict(sorted(notes.items()))


def _volume(drive: str, device_id: str, volume: str, index: int) -> dict[str, Any]:
    """A persistent volume attached as a SCSI disk."""
    return {
        "DriverOptions": {"block-driver": "virtio-scsi"},
        "BlockDrive": {
            "File": f"/dev/mapper/{volume}",
            "Format": "raw",
            "ID": drive,
            "MmioAddr": "",
            "SCSIAddr": f"0:{index}",
            "NvdimmID": "",
            "VirtPath": f"/dev/sd{'abcdefgh'[index]}",
            "DevNo": "",
            "PCIPath": {},
            "Index": index,
            "ShareRW": False,
            "ReadOnly": False,
            "DiscardUnmap": False,
            "Pmem": False,
            "Swap": False,
        },
        "ID": device_id,
        "Type": "block",
        "DevType": "b",
        "RefCount": 1,
        "AttachCount": 1,
        "Major": 253,
        "Minor": 6 + index,
        "ColdPlug": False,
    }


def _resources(shares: int, quota: int, memory: int | None) -> dict[str, Any]:
    resources: dict[str, Any] = {"devices": [{"allow": False, "access": "rwm"}]}
    if memory is not None:
        resources["memory"] = {"limit": memory, "swap": memory}
    resources["cpu"] = {"shares": shares, "quota": quota, "period": 100000} if quota else {"shares": shares}
    return resources


def pod_sandbox(sid: str) -> dict[str, Any]:
    """The sandbox record of a four-container pod on qemu, as a JSON document in Go's key order."""
    apps = [
        ("frontend", 512, 100000, 536870912),
        ("metrics", 102, 50000, 134217728),
        ("proxy", 512, 100000, 939524096),
        ("log-shipper", 102, 20000, 268435456),
        ("cache", 256, 50000, 1073741824),
        ("config-reloader", 51, 10000, 67108864),
    ]
    configs = [
        {
            "Annotations": _annotations(sid, sid, "sandbox", "pause"),
            "Resources": _resources(2, 0, None),
            "ID": sid,
            "RootFs": f"/run/kata-containers/shared/containers/{sid}/rootfs",
        }
    ]
    for name, shares, quota, memory in apps[: POD_CONTAINERS - 1]:
        cid = hex_id(f"pod/{name}")
        configs.append(
            {
                "Annotations": _annotations(sid, cid, "container", name),
                "Resources": _resources(shares, quota, memory),
                "ID": cid,
                "RootFs": f"/run/kata-containers/shared/containers/{cid}/rootfs",
            }
        )
    netns = "/var/run/netns/cni-4c1f7e2a-8d3b-5e9f-a0c1-2b3d4e5f6a7b"
    addrs = [
        {
            "IP": "10.244.3.117",
            "Mask": "////AA==",
            "Label": "eth0",
            "Flags": 128,
            "Scope": 0,
            "Peer": None,
            "Broadcast": "10.244.3.255",
            "PreferedLft": 4294967295,
            "ValidLft": 4294967295,
            "LinkIndex": 3,
        },
        {
            "IP": "fe80::5c3a:8eff:fe21:9b47",
            "Mask": "//////////8AAAAAAAAAAA==",
            "Label": "",
            "Flags": 128,
            "Scope": 253,
            "Peer": None,
            "Broadcast": "",
            "PreferedLft": 4294967295,
            "ValidLft": 4294967295,
            "LinkIndex": 3,
        },
    ]
    drive, logs = "drive-9f2c4b7a1e3d5c6b", "drive-4e8d1a6c2b9f7e3a"
    return {
        "CgroupPaths": None,
        "Devices": [
            _volume(drive, "9f2c4b7a1e3d5c6b", "pvc-3e8b1d2c--data", 1),
            _volume(logs, "4e8d1a6c2b9f7e3a", "pvc-8a1f0c7d--logs", 2),
        ],
        "State": "running",
        "SandboxContainer": sid,
        "SandboxCgroupPath": f"/kubepods/burstable/pod5b7e2a31-9c4d-4f1e-a6b8-0d2c3e4f5a6b/kata_{sid}",
        "OverheadCgroupPath": "/kata_overhead/" + sid,
        "HypervisorState": {
            "BlockIndexMap": {"0": {}, "1": {}, "2": {}},
            "Type": "qemu",
            "UUID": "7c3e9a1f-2b4d-4e6f-8a0b-1c2d3e4f5a6b",
            "APISocket": "",
            "Bridges": [
                {
                    "DeviceAddr": {"1": drive, "2": "virtio-net-tap0_kata", "3": logs},
                    "Type": "pci",
                    "ID": "pci-bridge-0",
                    "Addr": 2,
                    "ParentID": "",
                    "ParentAddr": 0,
                }
            ],
            "HotpluggedVCPUs": [{"ID": "cpu-1"}, {"ID": "cpu-2"}],
            "HotpluggedMemory": 1024,
            "VirtiofsDaemonPid": 48211,
            "Pid": 48190,
            "HotPlugVFIO": "no-port",
            "ColdPlugVFIO": "no-port",
            "PCIeRootPort": 0,
            "PCIeSwitchPort": 0,
        },
        "AgentState": {"URL": "vsock://2812441873:1024"},
        "Network": {
            "NetworkID": netns,
            "Endpoints": [
                {
                    "Veth": {
                        "NetPair": {
                            "ID": "3a9c2e7f-5b1d-4f8e-9a6c-0b2d4e6f8a1c",
                            "Name": "br0_kata",
                            "TAPIface": {"Name": "tap0_kata", "HardAddr": "5e:3a:8e:21:9b:47", "Addrs": None},
                            "VirtIface": {"Name": "eth0", "HardAddr": "5e:3a:8e:21:9b:47", "Addrs": addrs},
                            "NetInterworkingModel": 2,
                        }
                    },
                    "Type": "virtual",
                }
            ],
            "NetworkCreated": False,
        },
        "Config": {
            "cgroups": None,
            "KataAgentConfig": {"LongLiveConn": True},
            "KataShimConfig": None,
            "GuestSeLinuxLabel": "",
            "HypervisorType": "qemu",
            "SandboxBindMounts": [],
            "Experimental": [],
            "ContainerConfigs": configs,
            "NetworkConfig": {
                "NetworkID": netns,
                "NetworkCreated": False,
                "DisableNewNetwork": False,
                "InterworkingModel": 2,
            },
            "HypervisorConfig": {
                "KernelPath": "/opt/kata/share/kata-containers/vmlinux-6.12.28-153",
                "ImagePath": "/opt/kata/share/kata-containers/kata-ubuntu-noble.image",
                "InitrdPath": "",
                "FirmwarePath": "",
                "MachineAccelerators": "",
                "CPUFeatures": "pmu=off",
                "HypervisorPath": "/opt/kata/bin/qemu-system-x86_64",
                "JailerPath": "",
                "BlockDeviceDriver": "virtio-scsi",
                "HypervisorMachineType": "q35",
                "MemoryPath": "",
                "DevicesStatePath": "",
                "EntropySource": "/dev/urandom",
                "SharedFS": "virtio-fs",
                "VirtioFSDaemon": "/opt/kata/libexec/virtiofsd",
                "VirtioFSCache": "auto",
                "VhostUserStorePath": "/var/run/kata-containers/vhost-user",
                "SeccompSandbox": "on,obsolete=deny,spawn=deny,resourcecontrol=deny",
                "GuestHookPath": "",
                "VMid": "",
                "HypervisorPathList": ["/opt/kata/bin/qemu-system-x86_64"],
                "JailerPathList": [],
                "EntropySourceList": ["/dev/urandom", "/dev/random", ""],
                "VirtioFSDaemonList": ["/opt/kata/libexec/virtiofsd"],
                "VirtioFSExtraArgs": ["--thread-pool-size=1", "--announce-submounts"],
                "VhostUserStorePathList": ["/var/run/kata-containers/vhost-user"],
                "EnableAnnotations": ["enable_iommu", "virtio_fs_extra_args", "kernel_params"],
                "MemOffset": 0,
                "RxRateLimiterMaxRate": 0,
                "TxRateLimiterMaxRate": 0,
                "SGXEPCSize": 0,
                "NumVCPUsF": 1,
                "DefaultMaxVCPUs": 2,
                "MemorySize": 2048,
                "DefaultBridges": 1,
                "Msize9p": 8192,
                "MemSlots": 10,
                "VirtioFSCacheSize": 0,
                "BlockDeviceCacheSet": False,
                "BlockDeviceCacheDirect": False,
                "BlockDeviceCacheNoflush": False,
                "BlockDeviceLogicalSectorSize": 0,
                "BlockDevicePhysicalSectorSize": 0,
                "DisableBlockDeviceUse": False,
                "EnableIOThreads": False,
                "IndepIOThreads": 0,
                "Debug": False,
                "MemPrealloc": False,
                "HugePages": False,
                "VirtioMem": False,
                "DisableNestingChecks": False,
                "DisableImageNvdimm": False,
                "HotPlugVFIO": "no-port",
                "ColdPlugVFIO": "no-port",
                "PCIeRootPort": 0,
                "PCIeSwitchPort": 0,
                "BootToBeTemplate": False,
                "BootFromTemplate": False,
                "DisableVhostNet": False,
                "EnableVhostUserStore": False,
            },
            "ShmSize": 67108864,
            "SharePidNs": False,
            "Stateful": False,
            "SystemdCgroup": False,
            "SandboxCgroupOnly": False,
            "DisableGuestSeccomp": True,
            "EnableVCPUsPinning": False,
        },
        "PersistVersion": 2,
        "GuestMemoryBlockSizeMB": 128,
        "GuestMemoryHotplugProbe": False,
    }


def _salted_ip(text: str, salt: int) -> str:
    if ":" in text:  # IPv6: two 4-digit groups (canonical text has no leading zeros to drop)
        return f"fd00::{0x1000 | (salt >> 12) & 0xFFF:x}:{0x1000 | salt & 0xFFF:x}"
    return f"10.{100 + salt // 10000 % 100}.{100 + salt // 100 % 100}.{100 + salt % 100}"


def _salted_time(text: str, salt: int) -> str:
    match = _TIME.match(text)
    if match is None:
        raise ValueError(f"not a Go time: {text!r}")
    return f"{match[1]}.{(salt * 10 + 1) % 10**9:09d}{match[3]}"  # nine digits, none trimmed


def salted(value: Any, salt: int, key: str = "") -> Any:
    """``value`` with every non-empty string made new for ``salt`` (same length for every salt < 16**6)."""
    if isinstance(value, dict):
        is_map = key in MAP_KEYS
        return {
            (f"{salt:06x}-{name}" if is_map and not name.isdigit() else name): salted(item, salt, name)
            for name, item in value.items()
        }
    if isinstance(value, list):
        return [salted(item, salt, key) for item in value]
    if not isinstance(value, str) or value == "" or key == "Mask":
        return value
    if key in IP_KEYS:
        return _salted_ip(value, salt)
    if key == "StartTime":
        return _salted_time(value, salt)
    return f"{salt:06x}-{value}"


class PodState:
    """The comparison's sandbox and containers, salted; built as bytes and decoded with persist's codec."""

    def __init__(self, n: int, salt: int, label: str) -> None:
        self.sandbox_id = hex_id(f"{label}/pod/{n}/{salt}")
        document = salted(pod_sandbox(self.sandbox_id), salt)
        document["SandboxContainer"] = self.sandbox_id  # the directory name: a plain ID
        self.sandbox_bytes = go_json(document)
        work = Workload(label)
        self.container_bytes: dict[str, bytes] = {}
        for index in range(n):
            _, state = work.container(index)
            cid = hex_id(f"{label}/container/{n}/{salt}/{index}")
            self.container_bytes[cid] = go_json(salted(json.loads(codec.dumps(state)), salt))

    def objects(self) -> tuple[SandboxState, dict[str, ContainerState]]:
        """Decode the records (in this process: the bytes are then no longer "never seen" here)."""
        sandbox = codec.loads(self.sandbox_bytes, SandboxState)
        containers = {cid: codec.loads(data, ContainerState) for cid, data in self.container_bytes.items()}
        return sandbox, containers
