"""bleak scanner backend on the radio's central."""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any, Literal

from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bumble.core import UUID, AdvertisingData
from bumble.device import Advertisement

from harness.bleak_backend.radio import current
from harness.bleak_backend.uuids import bleak_uuid

_T = AdvertisingData.Type
_SERVICE_LISTS = {
    _T.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS: 2,
    _T.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS: 2,
    _T.COMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS: 4,
    _T.INCOMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS: 4,
    _T.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS: 16,
    _T.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS: 16,
}
_SERVICE_DATA = {
    _T.SERVICE_DATA_16_BIT_UUID: 2,
    _T.SERVICE_DATA_32_BIT_UUID: 4,
    _T.SERVICE_DATA_128_BIT_UUID: 16,
}


def advertisement_data(advertisement: Advertisement) -> AdvertisementData:
    """bleak's view of one report (advertising data merged with the scan response).

    Parsed from the raw AD structures: bumble decodes TX power as unsigned.
    """
    local_name: str | None = None
    shortened: str | None = None
    manufacturer: dict[int, bytes] = {}
    services: list[str] = []
    service_data: dict[str, bytes] = {}
    tx_power: int | None = None
    for kind, value in advertisement.data.ad_structures:
        if kind == _T.COMPLETE_LOCAL_NAME:
            local_name = value.decode("utf-8", "replace")
        elif kind == _T.SHORTENED_LOCAL_NAME:
            shortened = value.decode("utf-8", "replace")
        elif kind == _T.MANUFACTURER_SPECIFIC_DATA and len(value) >= 2:
            manufacturer[int.from_bytes(value[:2], "little")] = bytes(value[2:])
        elif kind in _SERVICE_LISTS:
            size = _SERVICE_LISTS[kind]
            services += [
                bleak_uuid(UUID.from_bytes(value[i : i + size]))
                for i in range(0, len(value) - size + 1, size)
            ]
        elif kind in _SERVICE_DATA and len(value) >= _SERVICE_DATA[kind]:
            size = _SERVICE_DATA[kind]
            service_data[bleak_uuid(UUID.from_bytes(value[:size]))] = bytes(value[size:])
        elif kind == _T.TX_POWER_LEVEL and len(value) == 1:
            tx_power = struct.unpack("b", value)[0]
    return AdvertisementData(
        local_name=local_name if local_name is not None else shortened,
        manufacturer_data=manufacturer,
        service_data=service_data,
        service_uuids=services,
        tx_power=tx_power,
        rssi=advertisement.rssi,
        platform_data=(advertisement,),
    )


class BumbleScanner(BaseBleakScanner):
    """Scans on the radio's central; active unless asked to be passive.

    An active scan reports a device once its scan response has arrived, merged
    with the advertising data, as BlueZ does; a passive scan never sees a scan
    response.
    """

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: Literal["active", "passive"] = "active",
        **kwargs: Any,
    ) -> None:
        self._scanning = False  # before bleak's __init__, which registers detection_callback
        super().__init__(detection_callback, service_uuids)
        self._active = scanning_mode != "passive"

    async def start(self) -> None:
        self.seen_devices = {}
        radio = current()
        device = await radio.central()
        device.on(device.EVENT_ADVERTISEMENT, self._on_advertisement)
        self._scanning = True
        try:
            await radio.start_scanning(self, self._active)
        except BaseException:
            # bleak's `async with` never calls stop() when start() fails or is cancelled.
            await self.stop()
            raise

    def register_detection_callback(
        self, callback: AdvertisementDataCallback | None
    ) -> Callable[[], None]:
        """Register `callback`, and tell it at once of the devices this scan has heard.

        The controller reports a device once per scan (duplicate filtering), and
        bleak's `advertisement_data()`, which `find_device_by_address` reads, registers
        its callback only once `start()` has returned: a report that arrived in
        between was lost for the whole scan (5 scans in 1000 missed their device).
        """
        remove = super().register_detection_callback(callback)
        if self._scanning:
            added = list(self._ad_callbacks.values())[-1]
            for device, advertisement in list(self.seen_devices.values()):
                added(device, advertisement)
        return remove

    async def stop(self) -> None:
        if not self._scanning:
            return
        self._scanning = False
        radio = current()
        device = await radio.central()
        device.remove_listener(device.EVENT_ADVERTISEMENT, self._on_advertisement)
        await radio.stop_scanning(self)

    def _on_advertisement(self, advertisement: Advertisement) -> None:
        adv = advertisement_data(advertisement)
        if not self.is_allowed_uuid(adv.service_uuids):
            return
        address = advertisement.address.to_string(False)
        device = self.create_or_update_device(address, address, adv.local_name, advertisement, adv)
        self.call_detection_callbacks(device, adv)
