"""Advertising and scan response data of an IQOS device.

Legacy advertising carries at most 31 bytes, so the name travels in the scan
response, as on the devices captured so far.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass
from enum import IntEnum

from iqos.protocol.errors import ProtocolError
from iqos.protocol.uuids import RRP_SERVICE

COMPANY_ID = 0x0223
"""Philip Morris Products S.A."""
LEGACY_ADVERTISING_LIMIT = 31
FLAGS_LE_LIMITED_NO_BREDR = 0x05
DEFAULT_TX_POWER_DBM = 6

AD_FLAGS = 0x01
AD_INCOMPLETE_16 = 0x02
AD_COMPLETE_16 = 0x03
AD_INCOMPLETE_128 = 0x06
AD_COMPLETE_128 = 0x07
AD_SHORT_NAME = 0x08
AD_COMPLETE_NAME = 0x09
AD_TX_POWER = 0x0A
AD_MANUFACTURER = 0xFF


class PairingState(IntEnum):
    """The state byte after the company id."""

    BONDED = 0x00
    PAIRING_MODE = 0x01


def manufacturer_payload(state: PairingState) -> bytes:
    """Manufacturer data after the company id, as bleak hands it out."""
    return bytes((state, 0x00))


def decode_manufacturer_payload(payload: bytes) -> PairingState:
    """Pairing state from the bytes that follow company id 0x0223."""
    payload = bytes(payload)
    if len(payload) != 2 or payload[1] != 0x00:
        raise ProtocolError("IQOS manufacturer data is a state byte then 0x00", payload)
    try:
        return PairingState(payload[0])
    except ValueError:
        raise ProtocolError(f"unknown pairing state 0x{payload[0]:02X}", payload) from None


def _uuid128_le(text: str) -> bytes:
    return uuid.UUID(text).bytes[::-1]


def _structure(kind: int, value: bytes) -> bytes:
    return bytes((len(value) + 1, kind)) + value


@dataclass(frozen=True)
class Advertisement:
    """What an IQOS device puts on air, split into advertising and scan response."""

    name: str
    pairing_state: PairingState = PairingState.PAIRING_MODE
    services: tuple[str, ...] = (RRP_SERVICE,)
    tx_power: int | None = DEFAULT_TX_POWER_DBM
    flags: int = FLAGS_LE_LIMITED_NO_BREDR
    company_id: int = COMPANY_ID

    def advertising_data(self) -> bytes:
        data = _structure(AD_FLAGS, bytes((self.flags,)))
        data += _structure(
            AD_MANUFACTURER,
            struct.pack("<H", self.company_id) + manufacturer_payload(self.pairing_state),
        )
        if self.services:
            data += _structure(AD_COMPLETE_128, b"".join(_uuid128_le(s) for s in self.services))
        if self.tx_power is not None:
            data += _structure(AD_TX_POWER, struct.pack("<b", self.tx_power))
        return _within_limit(data, "advertising data")

    def scan_response_data(self) -> bytes:
        return _within_limit(
            _structure(AD_COMPLETE_NAME, self.name.encode("utf-8")), "scan response data"
        )

    @classmethod
    def decode(cls, advertising: bytes, scan_response: bytes = b"") -> Advertisement:
        """Read both halves back; malformed structures raise ProtocolError."""
        structures = parse_structures(advertising) + parse_structures(scan_response)
        name: str | None = None
        flags = 0
        tx_power: int | None = None
        services: list[str] = []
        company_id: int | None = None
        state: PairingState | None = None
        for kind, value in structures:
            if kind == AD_FLAGS and value:
                flags = value[0]
            elif kind in (AD_COMPLETE_NAME, AD_SHORT_NAME):
                try:
                    name = value.decode("utf-8")
                except UnicodeDecodeError:
                    raise ProtocolError("local name is not UTF-8", value) from None
            elif kind == AD_TX_POWER and len(value) == 1:
                tx_power = struct.unpack("<b", value)[0]
            elif kind in (AD_COMPLETE_128, AD_INCOMPLETE_128):
                if len(value) % 16:
                    raise ProtocolError("128-bit service list not a multiple of 16", value)
                services += [
                    str(uuid.UUID(bytes=value[i : i + 16][::-1])) for i in range(0, len(value), 16)
                ]
            elif kind == AD_MANUFACTURER:
                if len(value) < 2:
                    raise ProtocolError("manufacturer data without a company id", value)
                company = value[0] | (value[1] << 8)
                if company == COMPANY_ID:
                    company_id = company
                    state = decode_manufacturer_payload(value[2:])
        if company_id is None or state is None:
            raise ProtocolError("no IQOS manufacturer data", advertising + scan_response)
        if name is None:
            raise ProtocolError("no local name", advertising + scan_response)
        return cls(name, state, tuple(services), tx_power, flags, company_id)


def _within_limit(data: bytes, what: str) -> bytes:
    if len(data) > LEGACY_ADVERTISING_LIMIT:
        raise ProtocolError(
            f"{what} is {len(data)} bytes; legacy advertising allows {LEGACY_ADVERTISING_LIMIT}",
            data,
        )
    return data


def parse_structures(data: bytes) -> list[tuple[int, bytes]]:
    """Split advertising bytes into (AD type, value) pairs; zero length ends the data."""
    data = bytes(data)
    if len(data) > LEGACY_ADVERTISING_LIMIT:
        raise ProtocolError("advertising data longer than 31 bytes", data)
    out: list[tuple[int, bytes]] = []
    offset = 0
    while offset < len(data):
        length = data[offset]
        if length == 0:
            break
        if offset + 1 + length > len(data):
            raise ProtocolError("advertising structure runs past the end", data)
        out.append((data[offset + 1], data[offset + 2 : offset + 1 + length]))
        offset += 1 + length
    return out
