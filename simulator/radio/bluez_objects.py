"""D-Bus objects that BlueZ calls back: an advertisement and a pairing agent.

No `from __future__ import annotations` here: dbus-fast reads the annotations
of service methods and properties as D-Bus signatures, and strings from the
future import are not signatures.
"""

from dbus_fast import Variant
from dbus_fast.annotations import DBusObjectPath, DBusStr, DBusUInt32
from dbus_fast.constants import PropertyAccess
from dbus_fast.service import ServiceInterface, dbus_method, dbus_property

from iqos.protocol import COMPANY_ID, Advertisement, manufacturer_payload


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


class JustWorksAgent(ServiceInterface):
    """org.bluez.Agent1 with NoInputNoOutput, accepting every request.

    Neither bless nor bleak registers an agent, and without one BlueZ refuses
    every pairing ("No agent available"). Whether a simulated device accepts
    a pairing is not asked here: its controller is made non-bondable when it
    would refuse, and the kernel then answers "pairing not supported", which is
    how the pairing fails on air too.
    """

    def __init__(self) -> None:
        super().__init__("org.bluez.Agent1")

    @dbus_method()
    def Release(self) -> None:
        """BlueZ unregistered the agent; nothing to free."""

    @dbus_method()
    def RequestAuthorization(self, device: DBusObjectPath) -> None:
        """Just Works: accepted."""

    @dbus_method()
    def RequestConfirmation(self, device: DBusObjectPath, passkey: DBusUInt32) -> None:
        """Numeric comparison shown to nobody: accepted."""

    @dbus_method()
    def AuthorizeService(self, device: DBusObjectPath, uuid: DBusStr) -> None:
        """Services on a paired link: accepted."""

    @dbus_method()
    def Cancel(self) -> None:
        """BlueZ gave up waiting; the answers here are immediate."""
