from persist_core.model._fields import go, model
from persist_core.model._gotypes import Int, NetlinkAddrJSON
from persist_core.model.device import PciPath


@model(kw_only=True)
class NetworkInterface:
    """One link: name, MAC and addresses."""

    name: str = go("Name", "")
    hard_addr: str = go("HardAddr", "")
    addrs: list[NetlinkAddrJSON] | None = go("Addrs", None)


@model(kw_only=True)
class TapInterface:
    """A tap device."""

    id: str = go("ID", "")
    name: str = go("Name", "")
    tap_iface: NetworkInterface = go("TAPIface", factory=NetworkInterface)


@model(kw_only=True)
class TuntapInterface:
    """A tun/tap device."""

    name: str = go("Name", "")
    tap_iface: NetworkInterface = go("TAPIface", factory=NetworkInterface)


@model(kw_only=True)
class NetworkInterfacePair:
    """VM-side tap paired with the container-side interface."""

    id: str = go("ID", "")
    name: str = go("Name", "")
    tap_iface: NetworkInterface = go("TAPIface", factory=NetworkInterface)
    virt_iface: NetworkInterface = go("VirtIface", factory=NetworkInterface)
    net_interworking_model: Int = go("NetInterworkingModel", 0)


@model(kw_only=True)
class PhysicalEndpoint:
    """Passed-through physical NIC."""

    bdf: str = go("BDF", "")
    driver: str = go("Driver", "")
    vendor_device_id: str = go("VendorDeviceID", "")


@model(kw_only=True)
class MacvtapEndpoint:
    """macvtap endpoint."""

    pci_path: PciPath = go("PCIPath", factory=PciPath)


@model(kw_only=True)
class TapEndpoint:
    """tap endpoint."""

    tap_interface: TapInterface = go("TapInterface", factory=TapInterface)


@model(kw_only=True)
class TuntapEndpoint:
    """tun/tap endpoint."""

    tuntap_interface: TuntapInterface = go("TuntapInterface", factory=TuntapInterface)


@model(kw_only=True)
class MacvlanEndpoint:
    """macvlan endpoint."""

    net_pair: NetworkInterfacePair = go("NetPair", factory=NetworkInterfacePair)


@model(kw_only=True)
class VethEndpoint:
    """veth endpoint (Type "virtual")."""

    net_pair: NetworkInterfacePair = go("NetPair", factory=NetworkInterfacePair)


@model(kw_only=True)
class IPVlanEndpoint:
    """ipvlan endpoint."""

    net_pair: NetworkInterfacePair = go("NetPair", factory=NetworkInterfacePair)


@model(kw_only=True)
class VhostUserEndpoint:
    """vhost-user net endpoint."""

    iface_name: str = go("IfaceName", "")
    pci_path: PciPath = go("PCIPath", factory=PciPath)


@model(kw_only=True)
class VfioEndpoint:
    """VFIO NIC endpoint."""

    iface_name: str = go("IfaceName", "")


@model(kw_only=True)
class NetworkEndpoint:
    """Tagged union: exactly one pointer set, matching Type."""

    physical: PhysicalEndpoint | None = go("Physical", None, omitempty=True)
    veth: VethEndpoint | None = go("Veth", None, omitempty=True)
    vhost_user: VhostUserEndpoint | None = go("VhostUser", None, omitempty=True)
    macvlan: MacvlanEndpoint | None = go("Macvlan", None, omitempty=True)
    macvtap: MacvtapEndpoint | None = go("Macvtap", None, omitempty=True)
    tap: TapEndpoint | None = go("Tap", None, omitempty=True)
    ipvlan: IPVlanEndpoint | None = go("IPVlan", None, omitempty=True)
    tuntap: TuntapEndpoint | None = go("Tuntap", None, omitempty=True)
    vfio: VfioEndpoint | None = go("Vfio", None, omitempty=True)
    type: str = go("Type", "")


@model(kw_only=True)
class NetworkInfo:
    """Sandbox network state."""

    network_id: str = go("NetworkID", "")
    endpoints: list[NetworkEndpoint] | None = go("Endpoints", None)
    network_created: bool = go("NetworkCreated", False)
