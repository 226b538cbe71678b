"""A bumble virtual radio that behaves like air where the tests depend on it.

Stock bumble `LocalLink` hands every advertisement to every controller, so its
cost grows with the square of the device count. Its controller also never
delivers scan response data (it repeats the advertising data), reports a fixed
RSSI, and offers extended advertising that our legacy-only devices never use.
`VirtualLink` delivers advertising only to controllers that scan or are
connecting, and `VirtualController` reports legacy advertising as a real
controller does: the advertising data, then, to an active scanner only, the
advertiser's own scan response, each with the RSSI set for that advertiser.
"""

from __future__ import annotations

import asyncio
import random

from bumble import hci, ll
from bumble.controller import Controller
from bumble.device import Device
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

DEFAULT_RSSI = -50
ACTIVE_SCANNING = 1


class VirtualController(Controller):
    """A controller that reports legacy advertising with real scan responses and RSSI."""

    link: VirtualLink

    def __init__(self, name: str, link: VirtualLink, address: hci.Address) -> None:
        super().__init__(name, link=link, public_address=address)
        self.le_features &= ~hci.LeFeatureMask.LE_EXTENDED_ADVERTISING
        self.random_address = address

    def on_advertising_pdu(self, pdu: ll.AdvInd | ll.AdvExtInd) -> None:
        if not isinstance(pdu, ll.AdvInd):
            super().on_advertising_pdu(pdu)
            return
        if self.le_scan_enable:
            rssi = self.link.rssi(pdu.advertiser_address)
            kind = hci.HCI_LE_Advertising_Report_Event.EventType
            reports = [(kind.ADV_IND, pdu.data)]
            if self.le_scan_type == ACTIVE_SCANNING:
                reports.append((kind.SCAN_RSP, self.link.scan_response(pdu.advertiser_address)))
            for event_type, data in reports:
                report = hci.HCI_LE_Advertising_Report_Event.Report(
                    event_type=event_type,
                    address_type=pdu.advertiser_address.address_type,
                    address=pdu.advertiser_address,
                    data=data,
                    rssi=rssi,
                )
                self.send_hci_packet(hci.HCI_LE_Advertising_Report_Event([report]))
        pending = self.pending_le_connection
        if pending is not None and pending.peer_address == pdu.advertiser_address:
            self.create_le_connection(pdu.advertiser_address)

    @property
    def listening(self) -> bool:
        """Whether advertising reaches this controller: it scans or is connecting."""
        return bool(self.le_scan_enable) or self.pending_le_connection is not None


class VirtualLink(LocalLink):
    """One shared virtual radio: advertising goes only to controllers that listen."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._rssi: dict[hci.Address, int] = {}
        self._controllers_by_device: dict[int, Controller] = {}

    def set_rssi(self, address: hci.Address | str, rssi: int) -> None:
        self._rssi[hci.Address(str(address))] = rssi

    def rssi(self, address: hci.Address) -> int:
        return self._rssi.get(address, DEFAULT_RSSI)

    def scan_response(self, address: hci.Address) -> bytes:
        sender = self.find_le_controller(address)
        if sender is None:
            return b""
        return bytes(sender.le_legacy_advertiser.scan_response_data)

    def send_advertising_pdu(
        self, sender_controller: Controller, packet: ll.AdvertisingPdu
    ) -> None:
        loop = asyncio.get_running_loop()
        for controller in self.controllers:
            if controller is sender_controller:
                continue
            if isinstance(packet, ll.ConnectInd) or (
                isinstance(controller, VirtualController) and controller.listening
            ):
                loop.call_soon(controller.on_ll_advertising_pdu, packet)

    def add_device(self, name: str, address: hci.Address | str | None = None) -> Device:
        """A bumble Device on a fresh controller of this link, at a random static address."""
        address = hci.Address(str(address)) if address else random_static_address()
        controller = VirtualController(name, self, address)
        device = Device(
            name=name, address=address, host=Host(controller, AsyncPipeSink(controller))
        )
        device.random_address = address
        self._controllers_by_device[id(device)] = controller
        return device

    def remove_device(self, device: Device) -> None:
        controller = self._controllers_by_device.pop(id(device), None)
        if controller is not None:
            self.remove_controller(controller)


def random_static_address(rng: random.Random | None = None) -> hci.Address:
    """A fresh random static address (two top bits set), so no cached GATT table leaks."""
    rng = rng or random.Random()
    octets = [rng.randrange(256) for _ in range(6)]
    octets[0] |= 0xC0
    text = ":".join(f"{octet:02X}" for octet in octets)
    return hci.Address(text, hci.Address.RANDOM_DEVICE_ADDRESS)
