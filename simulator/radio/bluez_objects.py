"""D-Bus objects that BlueZ calls back: an advertisement and a pairing agent.

No `from __future__ import annotations` here: dbus-fast reads the annotations
of service methods and properties as D-Bus signatures, and strings from the
future import are not signatures.
"""

from collections.abc import Callable

from dbus_fast import Variant
from dbus_fast.annotations import DBusObjectPath, DBusStr, DBusUInt32
from dbus_fast.constants import PropertyAccess
from dbus_fast.service import ServiceInterface, dbus_method, dbus_property

from iqos.protocol import COMPANY_ID, Advertisement, manufacturer_payload


class LEAdvertisement(ServiceInterface):
    """org.bluez.LEAdvertisement1: the name, the services, the manufacturer data and
    (from the kernel) the TX power. bless registers only the name and its first
    service, which is why the bless adapter registers this one instead."""

    def __init__(
        self,
        local_name: str,
        services: list[str],
        manufacturer_data: dict[int, bytes],
        tx_power: bool,
    ) -> None:
        super().__init__("org.bluez.LEAdvertisement1")
        # Not `self.name`: ServiceInterface keeps its interface's name there.
        self.local_name = local_name
        self.services = services
        self.manufacturer_data = manufacturer_data
        self.tx_power = tx_power

    @classmethod
    def of(cls, advertisement: Advertisement) -> "LEAdvertisement":
        """What a real IQOS advertises: the RRP service, the pairing-state byte in its
        manufacturer data, the TX power and the name."""
        return cls(
            advertisement.name,
            list(advertisement.services),
            {COMPANY_ID: manufacturer_payload(advertisement.pairing_state)},
            advertisement.tx_power is not None,
        )

    @dbus_method()
    def Release(self) -> None:
        """BlueZ dropped the advertisement (adapter gone); nothing to free."""

    @dbus_property(access=PropertyAccess.READ)
    def Type(self) -> "s":  # type: ignore[name-defined]  # noqa: F821
        return "peripheral"

    @dbus_property(access=PropertyAccess.READ)
    def ServiceUUIDs(self) -> "as":  # type: ignore[valid-type]  # noqa: F722
        return self.services

    @dbus_property(access=PropertyAccess.READ)
    def ManufacturerData(self) -> "a{qv}":  # type: ignore[valid-type]  # noqa: F722
        return {company: Variant("ay", data) for company, data in self.manufacturer_data.items()}

    @dbus_property(access=PropertyAccess.READ)
    def Includes(self) -> "as":  # type: ignore[valid-type]  # noqa: F722
        """The kernel adds the TX power, as a real IQOS sends it. It matters on air:
        BlueZ forgets a device's TX power when a discovery ends, so the next
        discovery's first report changes a property and reaches bleak, even from
        a controller that reports no RSSI (btvirt)."""
        return ["tx-power"] if self.tx_power else []

    @dbus_property(access=PropertyAccess.READ)
    def Duration(self) -> "q":  # type: ignore[name-defined]  # noqa: F821
        """Seconds on air before the kernel rotates to the controller's next
        advertisement (see BluezController.advertise)."""
        return 1

    @dbus_property(access=PropertyAccess.READ)
    def LocalName(self) -> "s":  # type: ignore[name-defined]  # noqa: F821
        return self.local_name


class JustWorksAgent(ServiceInterface):
    """org.bluez.Agent1 with NoInputNoOutput, accepting every request.

    Neither bless nor bleak registers an agent, and without one BlueZ refuses
    every pairing ("No agent available"). Whether a simulated device accepts
    a pairing is not asked here: its controller is made non-bondable when it
    would refuse, and the kernel then answers "pairing not supported", which is
    how the pairing fails on air too.
    """

    def __init__(self, log: Callable[[str], None] = lambda _line: None) -> None:
        super().__init__("org.bluez.Agent1")
        self.log = log

    @dbus_method()
    def Release(self) -> None:
        self.log("agent: released")

    @dbus_method()
    def RequestAuthorization(self, device: DBusObjectPath) -> None:
        self.log(f"agent: authorized pairing with {device}")

    @dbus_method()
    def RequestConfirmation(self, device: DBusObjectPath, passkey: DBusUInt32) -> None:
        self.log(f"agent: confirmed {device} ({passkey:06d})")

    @dbus_method()
    def AuthorizeService(self, device: DBusObjectPath, uuid: DBusStr) -> None:
        self.log(f"agent: authorized {uuid} for {device}")

    @dbus_method()
    def Cancel(self) -> None:
        self.log("agent: request cancelled by BlueZ")
