"""D-Bus objects that BlueZ calls back: an advertisement and a pairing agent.

No `from __future__ import annotations` here: dbus-fast reads the annotations
of service methods and properties as D-Bus signatures, and strings from the
future import are not signatures.
"""

from collections.abc import Callable

from dbus_fast import DBusError, Variant
from dbus_fast.annotations import DBusObjectPath, DBusStr, DBusUInt32
from dbus_fast.constants import PropertyAccess
from dbus_fast.service import ServiceInterface, dbus_method, dbus_property

from iqos.protocol import COMPANY_ID, Advertisement, manufacturer_payload

REJECTED = "org.bluez.Error.Rejected"


class LEAdvertisement(ServiceInterface):
    """org.bluez.LEAdvertisement1 carrying what a real IQOS advertises: the RRP
    service, the manufacturer data with the pairing-state byte, and the name.

    bless registers only the name and its first service, which is why the bless
    adapter registers this one instead."""

    def __init__(self, advertisement: Advertisement) -> None:
        super().__init__("org.bluez.LEAdvertisement1")
        self.advertisement = advertisement

    @dbus_method()
    def Release(self) -> None:
        """BlueZ dropped the advertisement (adapter gone); nothing to free."""

    @dbus_property(access=PropertyAccess.READ)
    def Type(self) -> "s":  # type: ignore[name-defined]  # noqa: F821
        return "peripheral"

    @dbus_property(access=PropertyAccess.READ)
    def ServiceUUIDs(self) -> "as":  # type: ignore[valid-type]  # noqa: F722
        return list(self.advertisement.services)

    @dbus_property(access=PropertyAccess.READ)
    def ManufacturerData(self) -> "a{qv}":  # type: ignore[valid-type]  # noqa: F722
        payload = manufacturer_payload(self.advertisement.pairing_state)
        return {COMPANY_ID: Variant("ay", payload)}

    @dbus_property(access=PropertyAccess.READ)
    def Includes(self) -> "as":  # type: ignore[valid-type]  # noqa: F722
        """The kernel adds the TX power, as a real IQOS sends it. It matters on air:
        BlueZ forgets a device's TX power when a discovery ends, so the next
        discovery's first report changes a property and reaches bleak, even from
        a controller that reports no RSSI (btvirt)."""
        return ["tx-power"] if self.advertisement.tx_power is not None else []

    @dbus_property(access=PropertyAccess.READ)
    def Duration(self) -> "q":  # type: ignore[name-defined]  # noqa: F821
        """Seconds on air before the kernel rotates to the controller's next
        advertisement (see BluezController.advertise)."""
        return 1

    @dbus_property(access=PropertyAccess.READ)
    def LocalName(self) -> "s":  # type: ignore[name-defined]  # noqa: F821
        return self.advertisement.name


class PairingAgent(ServiceInterface):
    """org.bluez.Agent1 that lets each simulated device decide its own pairings.

    BlueZ asks the default agent to authorise an incoming Just Works pairing;
    a real IQOS refuses one unless it is in pairing mode (or the peer is its
    bond), so the answer comes from the simulated device behind the adapter.
    `decide(device_path)` returns None when the path is not a simulated
    device's peer: then the agent accepts, as the guest's own agent would.
    """

    def __init__(self, decide: Callable[[str], bool | None]) -> None:
        super().__init__("org.bluez.Agent1")
        self.decide = decide

    def _authorise(self, device: str) -> None:
        if self.decide(device) is False:
            raise DBusError(REJECTED, "the simulated device is not in pairing mode")

    @dbus_method()
    def Release(self) -> None:
        """BlueZ unregistered the agent; nothing to free."""

    @dbus_method()
    def RequestAuthorization(self, device: DBusObjectPath) -> None:
        self._authorise(device)

    @dbus_method()
    def RequestConfirmation(self, device: DBusObjectPath, passkey: DBusUInt32) -> None:
        self._authorise(device)

    @dbus_method()
    def AuthorizeService(self, device: DBusObjectPath, uuid: DBusStr) -> None:
        self._authorise(device)

    @dbus_method()
    def Cancel(self) -> None:
        """BlueZ gave up waiting; the answers here are immediate."""
