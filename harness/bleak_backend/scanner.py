"""bleak scanner backend over the virtual radio."""

from __future__ import annotations

from typing import Any, Literal

from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bumble.core import AdvertisingData
from bumble.device import Advertisement

from harness.bleak_backend.radio import current
from harness.bleak_backend.uuids import bleak_uuid


def advertisement_data(advertisement: Advertisement) -> tuple[str | None, AdvertisementData]:
    data: AdvertisingData = advertisement.data
    name = data.get(AdvertisingData.COMPLETE_LOCAL_NAME) or data.get(
        AdvertisingData.SHORTENED_LOCAL_NAME
    )
    manufacturer: dict[int, bytes] = {}
    for company, payload in data.get_all(AdvertisingData.MANUFACTURER_SPECIFIC_DATA):
        manufacturer[int(company)] = bytes(payload)
    services: list[str] = []
    for kind in (
        AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
        AdvertisingData.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
        AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
        AdvertisingData.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
    ):
        for uuids in data.get_all(kind):
            services += [bleak_uuid(u) for u in uuids]
    service_data = {
        bleak_uuid(uuid): bytes(payload)
        for uuid, payload in data.get_all(AdvertisingData.SERVICE_DATA_128_BIT_UUID)
        + data.get_all(AdvertisingData.SERVICE_DATA_16_BIT_UUID)
    }
    tx_power = data.get(AdvertisingData.TX_POWER_LEVEL)
    local_name = str(name) if name is not None else None
    return local_name, AdvertisementData(
        local_name=local_name,
        manufacturer_data=manufacturer,
        service_data=service_data,
        service_uuids=services,
        tx_power=int(tx_power) if tx_power is not None else None,
        rssi=advertisement.rssi,
        platform_data=(advertisement,),
    )


class BumbleScanner(BaseBleakScanner):
    """Scans on the virtual radio's central; active unless asked to be passive."""

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: Literal["active", "passive"] = "active",
        **_: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._active = scanning_mode != "passive"
        self._scanning = False

    async def start(self) -> None:
        self.seen_devices = {}
        radio = current()
        device = await radio.central()
        device.on("advertisement", self._on_advertisement)
        await radio.start_scanning(self._active)
        self._scanning = True

    async def stop(self) -> None:
        if not self._scanning:
            return
        radio = current()
        radio.device.remove_listener("advertisement", self._on_advertisement)
        await radio.stop_scanning()
        self._scanning = False

    def _on_advertisement(self, advertisement: Advertisement) -> None:
        name, adv = advertisement_data(advertisement)
        if not self.is_allowed_uuid(adv.service_uuids):
            return
        address = advertisement.address.to_string(False)
        device = self.create_or_update_device(address, address, name, advertisement.address, adv)
        self.call_detection_callbacks(device, adv)
