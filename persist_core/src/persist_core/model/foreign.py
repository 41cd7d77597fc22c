"""The shapes of the foreign Go structs kata stores, as encoding/json sees them.

persist keeps OCI's ``LinuxResources``, runc's ``Cgroup`` and netlink's ``Addr`` as the JSON they were
decoded from, but writes only what those structs could read back unchanged: the codec checks values
against these shapes on encode. Field names, Go types and JSON tags are those of runtime-spec v1.2.1,
opencontainers/cgroups v0.0.4 (runc v1.3.6's ``configs.Cgroup``) and vishvananda/netlink v1.3.1, the
versions kata pins. Embedded structs are flattened as encoding/json flattens them.
"""

from __future__ import annotations

import functools


class Kind:
    """What a JSON value must be for Go to read it into one Go type and write it back unchanged."""

    __slots__ = ()
    #: Go writes ``null`` for it when it is nil (pointers, slices, maps, []byte).
    nullable = False


class Scalar(Kind):
    """bool, string, net.IP (as text) or []byte (as base64)."""

    __slots__ = ("go_type", "nullable")

    def __init__(self, go_type: str, *, nullable: bool = False) -> None:
        self.go_type = go_type
        self.nullable = nullable


class Integer(Kind):
    __slots__ = ("go_type", "max", "min")

    def __init__(self, go_type: str, min: int, max: int) -> None:
        self.go_type = go_type
        self.min = min
        self.max = max


class Pointer(Kind):
    __slots__ = ("target",)
    nullable = True

    def __init__(self, target: Kind) -> None:
        self.target = target


class Slice(Kind):
    __slots__ = ("item",)
    nullable = True

    def __init__(self, item: Kind) -> None:
        self.item = item


class Map(Kind):
    """A Go map with string keys."""

    __slots__ = ("value",)
    nullable = True

    def __init__(self, value: Kind) -> None:
        self.value = value


class Field:
    __slots__ = ("kind", "omitempty")

    def __init__(self, kind: Kind, omitempty: bool) -> None:
        self.kind = kind
        self.omitempty = omitempty


class Struct(Kind):
    """A Go struct: its JSON keys, and the groups of keys that an embedded pointer writes all or none of."""

    __slots__ = ("fields", "go_type", "together")

    def __init__(self, go_type: str, fields: dict[str, Field], together: tuple[frozenset[str], ...] = ()) -> None:
        self.go_type = go_type
        self.fields = fields
        self.together = together


BOOL = Scalar("bool")
STRING = Scalar("string")
IP = Scalar("net.IP")  # text: "10.0.0.1", "fe80::1", "" for nil
BYTES = Scalar("[]byte", nullable=True)  # standard padded base64, null for nil (net.IPMask)
INT = Integer("int", -(2**63), 2**63 - 1)
INT64 = Integer("int64", -(2**63), 2**63 - 1)
RUNE = Integer("rune", -(2**31), 2**31 - 1)
UINT16 = Integer("uint16", 0, 2**16 - 1)
UINT32 = Integer("uint32", 0, 2**32 - 1)
UINT64 = Integer("uint64", 0, 2**64 - 1)


def _struct(go_type: str, *fields: tuple[str, Kind, bool], together: tuple[frozenset[str], ...] = ()) -> Struct:
    return Struct(go_type, {key: Field(kind, omitempty) for key, kind, omitempty in fields}, together)


OMIT = True  # omitempty
ALWAYS = False  # always written


@functools.cache
def linux_resources() -> Struct:
    """runtime-spec ``specs.LinuxResources`` (ContainerConfig.Resources)."""
    major_minor = (("major", INT64, ALWAYS), ("minor", INT64, ALWAYS))
    throttle = Slice(_struct("specs.LinuxThrottleDevice", *major_minor, ("rate", UINT64, ALWAYS)))
    weight = _struct(
        "specs.LinuxWeightDevice",
        *major_minor,
        ("weight", Pointer(UINT16), OMIT),
        ("leafWeight", Pointer(UINT16), OMIT),
    )
    return _struct(
        "specs.LinuxResources",
        (
            "devices",
            Slice(
                _struct(
                    "specs.LinuxDeviceCgroup",
                    ("allow", BOOL, ALWAYS),
                    ("type", STRING, OMIT),
                    ("major", Pointer(INT64), OMIT),
                    ("minor", Pointer(INT64), OMIT),
                    ("access", STRING, OMIT),
                )
            ),
            OMIT,
        ),
        (
            "memory",
            Pointer(
                _struct(
                    "specs.LinuxMemory",
                    *((key, Pointer(INT64), OMIT) for key in ("limit", "reservation", "swap", "kernel", "kernelTCP")),
                    ("swappiness", Pointer(UINT64), OMIT),
                    *((key, Pointer(BOOL), OMIT) for key in ("disableOOMKiller", "useHierarchy", "checkBeforeUpdate")),
                )
            ),
            OMIT,
        ),
        (
            "cpu",
            Pointer(
                _struct(
                    "specs.LinuxCPU",
                    ("shares", Pointer(UINT64), OMIT),
                    ("quota", Pointer(INT64), OMIT),
                    ("burst", Pointer(UINT64), OMIT),
                    ("period", Pointer(UINT64), OMIT),
                    ("realtimeRuntime", Pointer(INT64), OMIT),
                    ("realtimePeriod", Pointer(UINT64), OMIT),
                    ("cpus", STRING, OMIT),
                    ("mems", STRING, OMIT),
                    ("idle", Pointer(INT64), OMIT),
                )
            ),
            OMIT,
        ),
        ("pids", Pointer(_struct("specs.LinuxPids", ("limit", INT64, ALWAYS))), OMIT),
        (
            "blockIO",
            Pointer(
                _struct(
                    "specs.LinuxBlockIO",
                    ("weight", Pointer(UINT16), OMIT),
                    ("leafWeight", Pointer(UINT16), OMIT),
                    ("weightDevice", Slice(weight), OMIT),
                    ("throttleReadBpsDevice", throttle, OMIT),
                    ("throttleWriteBpsDevice", throttle, OMIT),
                    ("throttleReadIOPSDevice", throttle, OMIT),
                    ("throttleWriteIOPSDevice", throttle, OMIT),
                )
            ),
            OMIT,
        ),
        (
            "hugepageLimits",
            Slice(_struct("specs.LinuxHugepageLimit", ("pageSize", STRING, ALWAYS), ("limit", UINT64, ALWAYS))),
            OMIT,
        ),
        (
            "network",
            Pointer(
                _struct(
                    "specs.LinuxNetwork",
                    ("classID", Pointer(UINT32), OMIT),
                    (
                        "priorities",
                        Slice(
                            _struct(
                                "specs.LinuxInterfacePriority", ("name", STRING, ALWAYS), ("priority", UINT32, ALWAYS)
                            )
                        ),
                        OMIT,
                    ),
                )
            ),
            OMIT,
        ),
        (
            "rdma",
            Map(
                _struct("specs.LinuxRdma", ("hcaHandles", Pointer(UINT32), OMIT), ("hcaObjects", Pointer(UINT32), OMIT))
            ),
            OMIT,
        ),
        ("unified", Map(STRING), OMIT),
    )


@functools.cache
def cgroup() -> Struct:
    """runc's ``configs.Cgroup`` (SandboxConfig.cgroups), its embedded ``*Resources`` flattened."""
    major_minor = (("major", INT64, ALWAYS), ("minor", INT64, ALWAYS))
    throttle = Slice(Pointer(_struct("cgroups.ThrottleDevice", *major_minor, ("rate", UINT64, ALWAYS))))
    resources = (
        (
            "devices",
            Slice(
                Pointer(
                    _struct(
                        "devices.Rule",
                        ("type", RUNE, ALWAYS),
                        ("major", INT64, ALWAYS),
                        ("minor", INT64, ALWAYS),
                        ("permissions", STRING, ALWAYS),
                        ("allow", BOOL, ALWAYS),
                    )
                )
            ),
            OMIT,
        ),
        ("memory", INT64, OMIT),
        ("memory_reservation", INT64, OMIT),
        ("memory_swap", INT64, OMIT),
        ("cpu_shares", UINT64, OMIT),
        ("cpu_quota", INT64, OMIT),
        ("cpu_burst", Pointer(UINT64), OMIT),
        ("cpu_period", UINT64, OMIT),
        ("cpu_rt_quota", INT64, OMIT),
        ("cpu_rt_period", UINT64, OMIT),
        ("cpuset_cpus", STRING, OMIT),
        ("cpuset_mems", STRING, OMIT),
        ("cpu_idle", Pointer(INT64), OMIT),
        ("pids_limit", INT64, OMIT),
        ("blkio_weight", UINT16, OMIT),
        ("blkio_leaf_weight", UINT16, OMIT),
        (
            "blkio_weight_device",
            Slice(
                Pointer(
                    _struct(
                        "cgroups.WeightDevice", *major_minor, ("weight", UINT16, ALWAYS), ("leafWeight", UINT16, ALWAYS)
                    )
                )
            ),
            OMIT,
        ),
        ("blkio_throttle_read_bps_device", throttle, OMIT),
        ("blkio_throttle_write_bps_device", throttle, OMIT),
        ("blkio_throttle_read_iops_device", throttle, OMIT),
        ("blkio_throttle_write_iops_device", throttle, OMIT),
        ("freezer", STRING, OMIT),
        (
            "hugetlb_limit",
            Slice(Pointer(_struct("cgroups.HugepageLimit", ("page_size", STRING, ALWAYS), ("limit", UINT64, ALWAYS)))),
            OMIT,
        ),
        ("oom_kill_disable", BOOL, OMIT),
        ("memory_swappiness", Pointer(UINT64), OMIT),
        (
            "net_prio_ifpriomap",
            Slice(Pointer(_struct("cgroups.IfPrioMap", ("interface", STRING, ALWAYS), ("priority", INT64, ALWAYS)))),
            OMIT,
        ),
        ("net_cls_classid_u", UINT32, OMIT),
        (
            "rdma",
            Map(
                _struct(
                    "cgroups.LinuxRdma", ("hca_handles", Pointer(UINT32), OMIT), ("hca_objects", Pointer(UINT32), OMIT)
                )
            ),
            OMIT,
        ),
        ("cpu_weight", UINT64, OMIT),
        ("unified", Map(STRING), OMIT),
        ("memory_check_before_update", BOOL, OMIT),
    )
    return _struct(
        "cgroups.Cgroup",
        ("name", STRING, OMIT),
        ("parent", STRING, OMIT),
        ("path", STRING, OMIT),
        ("scope_prefix", STRING, OMIT),
        *resources,
        ("Systemd", BOOL, OMIT),
        ("Rootless", BOOL, OMIT),
        ("owner_uid", Pointer(INT), OMIT),
    )


@functools.cache
def netlink_addr() -> Struct:
    """netlink's ``Addr`` (NetworkInterface.Addrs), its embedded ``*net.IPNet`` flattened to IP and Mask."""
    ip_net = _struct("net.IPNet", ("IP", IP, ALWAYS), ("Mask", BYTES, ALWAYS))
    return _struct(
        "netlink.Addr",
        ("IP", IP, ALWAYS),
        ("Mask", BYTES, ALWAYS),
        ("Label", STRING, ALWAYS),
        ("Flags", INT, ALWAYS),
        ("Scope", INT, ALWAYS),
        ("Peer", Pointer(ip_net), ALWAYS),
        ("Broadcast", IP, ALWAYS),
        ("PreferedLft", INT, ALWAYS),
        ("ValidLft", INT, ALWAYS),
        ("LinkIndex", INT, ALWAYS),
        together=(frozenset({"IP", "Mask"}),),  # written only when the embedded *net.IPNet is set
    )


#: The foreign structs by the name their markers use.
SCHEMAS = {"specs.LinuxResources": linux_resources, "cgroups.Cgroup": cgroup, "netlink.Addr": netlink_addr}
