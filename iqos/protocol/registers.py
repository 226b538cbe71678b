"""Known SCP registers and the values they carry, typed both ways.

Only what public captures and public clients show is here (docs/protocol.md says
which for each). Registers the project had to invent (reset, codentify) live in
the device profiles, marked as assumed.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum

from iqos.protocol.errors import ProtocolError
from iqos.protocol.scp import ExtendedFrame, ExtendedType, Node, ShortFrame

CLOCK_EPOCH = datetime(2010, 1, 1, tzinfo=UTC)


class Register(IntEnum):
    FIRMWARE_VERSION = 0x000
    DEVICE_INFO = 0x001
    """Keep-alive: the app polls it every 3 s until the device is ready, then every 15 s."""
    PRODUCT_NUMBER = 0x00C
    LOCK = 0x010
    STICK_INSERTED = 0x081
    ERROR_CODE = 0x082
    BATTERY_VOLTAGE = 0x084
    """Asked of the charger, answered from node 0x08 (scp.REGISTER_ANSWERING_NODE)."""
    MODEL_CODE = 0x088
    FIND_MY = 0x089
    VIBRATION = 0x08C
    BRIGHTNESS = 0x08E
    BATTERY_PERCENT = 0x090


class HolderRegister(IntEnum):
    """Registers whose number means something else on the holder node (0xC9)."""

    BRIGHTNESS = 0x090
    """The holder's light: iqos_cli writes it (`00 C9 44 24 ...`) with the same level
    as the charger's brightness; on the charger 0x090 is the battery percent."""


class ExtendedAddress:
    CLOCK = b"\x00\x04"
    USAGE_COUNTERS = b"\x01\x01"


def read_request(node: Node, register: int) -> ShortFrame:
    return ShortFrame(node=node, register=register)


def write_request(node: Node, register: int, data: bytes) -> ShortFrame:
    return ShortFrame(node=node, register=register, data=data, write=True)


def _exact(data: bytes, size: int, what: str) -> bytes:
    if len(data) != size:
        raise ProtocolError(f"{what} takes {size} data bytes, got {len(data)}", data)
    return bytes(data)


def decode_text(data: bytes, what: str) -> str:
    """ASCII strings come NUL-padded to the record size."""
    try:
        return bytes(data).rstrip(b"\x00").decode("ascii")
    except UnicodeDecodeError:
        raise ProtocolError(f"{what} is not ASCII", data) from None


def encode_text(text: str, size: int = 14) -> bytes:
    raw = text.encode("ascii")
    if len(raw) > size:
        raise ProtocolError(f"{text!r} longer than {size} bytes")
    return raw.ljust(size, b"\x00")


@dataclass(frozen=True, order=True)
class FirmwareVersion:
    major: int
    minor: int
    patch: int
    build: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}.{self.build}"

    def encode(self) -> bytes:
        return bytes((0, 0, self.major, self.minor, self.patch, self.build)) + bytes(8)

    @classmethod
    def decode(cls, data: bytes) -> FirmwareVersion:
        data = _exact(data, 14, "firmware version")
        return cls(data[2], data[3], data[4], data[5])


def encode_u16(value: int) -> bytes:
    """A u16 answer padded to the 4-byte record (battery percent, error code)."""
    if not 0 <= value <= 0xFFFF:
        raise ProtocolError(f"{value} does not fit in u16")
    return struct.pack("<HH", value, 0)


def decode_u16(data: bytes, what: str) -> int:
    value: int = struct.unpack("<H", _exact(data, 4, what)[:2])[0]
    return value


STICK_INSERTED = 0x16
STICK_EMPTY = 0x01


def decode_stick_inserted(data: bytes) -> bool:
    data = _exact(data, 4, "stick inserted")
    if data[0] not in (STICK_INSERTED, STICK_EMPTY):
        raise ProtocolError(f"unknown stick state 0x{data[0]:02X}", data)
    return data[0] == STICK_INSERTED


def encode_stick_inserted(inserted: bool) -> bytes:
    return bytes((STICK_INSERTED if inserted else STICK_EMPTY, 0, 0, 0))


FIND_MY_DURATION = 0x1E


def encode_find_my(start: bool) -> bytes:
    return bytes((0x01 if start else 0x00, FIND_MY_DURATION, 0, 0))


def decode_find_my(data: bytes) -> bool:
    """True for start vibrating, False for stop."""
    data = _exact(data, 4, "find my device")
    if data[0] not in (0, 1):
        raise ProtocolError(f"unknown find-my command 0x{data[0]:02X}", data)
    return data[0] == 1


BRIGHTNESS_HIGH = 0x64
BRIGHTNESS_LOW = 0x1E
"""The two levels iqos_cli writes and reads back (`00 C0 46 23 64 ...` / `... 1E ...`)."""


def encode_brightness(level: int) -> bytes:
    """A light level as the 4-byte record carries it: the level, then three zeros."""
    if not 0 <= level <= 0xFF:
        raise ProtocolError(f"brightness {level} does not fit in a byte")
    return bytes((level, 0, 0, 0))


def decode_brightness(data: bytes) -> int:
    data = _exact(data, 4, "brightness")
    if data[1:] != bytes(3):
        raise ProtocolError("brightness record with non-zero padding", data)
    return data[0]


def encode_battery_voltage(millivolts: int) -> bytes:
    """The 14-byte record of register 0x084: millivolts little-endian at bytes 1-2.

    Only those two bytes are decoded by any public client (iqosctl); the others are
    sent as zeros and refused otherwise, so a device that fills them is seen."""
    if not 0 <= millivolts <= 0xFFFF:
        raise ProtocolError(f"{millivolts} mV does not fit in u16")
    return bytes(1) + struct.pack("<H", millivolts) + bytes(11)


def decode_battery_voltage(data: bytes) -> int:
    """Millivolts."""
    data = _exact(data, 14, "battery voltage")
    if data[0] or data[3:] != bytes(11):
        raise ProtocolError("battery voltage record with unknown non-zero bytes", data)
    millivolts: int = struct.unpack("<H", data[1:3])[0]
    return millivolts


def encode_lock(locked: bool) -> bytes:
    return bytes((0x02, 0xFF, 0, 0)) if locked else bytes(4)


def decode_lock(data: bytes) -> bool:
    data = _exact(data, 4, "lock")
    if data not in (encode_lock(True), encode_lock(False)):
        raise ProtocolError("unknown lock value", data)
    return data == encode_lock(True)


@dataclass(frozen=True)
class VibrationSettings:
    """Which moments the holder vibrates at."""

    heating_start: bool = True
    ready: bool = True
    near_end: bool = True
    manual_end: bool = True

    def encode(self) -> bytes:
        heating = (0x01 if self.heating_start else 0) | (0x10 if self.ready else 0)
        end = (0x01 if self.near_end else 0) | (0x10 if self.manual_end else 0)
        return bytes((0x10, 0x00, heating, end))

    @classmethod
    def decode(cls, data: bytes) -> VibrationSettings:
        data = _exact(data, 4, "vibration settings")
        if data[0] != 0x10 or data[1] != 0 or (data[2] | data[3]) & 0xEE:
            raise ProtocolError("malformed vibration settings", data)
        return cls(
            heating_start=bool(data[2] & 0x01),
            ready=bool(data[2] & 0x10),
            near_end=bool(data[3] & 0x01),
            manual_end=bool(data[3] & 0x10),
        )


def encode_clock(moment: datetime) -> bytes:
    seconds = int((moment - CLOCK_EPOCH).total_seconds())
    if not 0 <= seconds <= 0xFFFFFFFF:
        raise ProtocolError(f"{moment.isoformat()} outside the device clock's range")
    return struct.pack("<I", seconds)


def decode_clock(data: bytes) -> datetime:
    seconds = struct.unpack("<I", _exact(data, 4, "device clock"))[0]
    return CLOCK_EPOCH + timedelta(seconds=seconds)


def clock_read(node: Node = Node.CHARGER) -> ExtendedFrame:
    return ExtendedFrame(node, ExtendedType.READ, ExtendedAddress.CLOCK)


def clock_write(moment: datetime, node: Node = Node.CHARGER) -> ExtendedFrame:
    return ExtendedFrame(node, ExtendedType.WRITE, ExtendedAddress.CLOCK, encode_clock(moment))


class CounterTag(IntEnum):
    """The tags of the usage counter blocks, in the order a device sends them."""

    PUFFS = 0x8E
    """iqosctl's "puff count" (its field: total smoking count); the protocol reference
    reads the same tag as sessions. Which one a simulated device counts is its
    profile's `behaviour.usage_counter_8e`."""
    DAYS_USED = 0x17
    """iqosctl's day counter."""
    UNDECODED_20 = 0x20
    """Sent by devices, decoded by no public client."""
    UNDECODED_18 = 0x18
    """Sent by devices, decoded by no public client."""


@dataclass(frozen=True)
class UsageCounter:
    index: int
    value: int
    tag: int

    def encode(self) -> bytes:
        return struct.pack("<B3sHBB", self.index, bytes(3), self.value, 0, self.tag)


@dataclass(frozen=True)
class UsageCounters:
    """The blocks of one usage counters answer; public clients expect four (length
    0x22: the address and 4 x 8 bytes) and read the puffs and days used from them."""

    blocks: tuple[UsageCounter, ...]

    def value(self, tag: CounterTag) -> int | None:
        """The first block's value with `tag`, or None when the device sent none."""
        return next((block.value for block in self.blocks if block.tag == tag), None)

    @property
    def puffs(self) -> int | None:
        return self.value(CounterTag.PUFFS)

    @property
    def days_used(self) -> int | None:
        return self.value(CounterTag.DAYS_USED)

    def encode(self) -> bytes:
        return encode_usage_counters(list(self.blocks))

    @classmethod
    def decode(cls, data: bytes) -> UsageCounters:
        return cls(tuple(decode_usage_counters(data)))


def encode_usage_counters(counters: list[UsageCounter]) -> bytes:
    return b"".join(counter.encode() for counter in counters)


def decode_usage_counters(data: bytes) -> list[UsageCounter]:
    data = bytes(data)
    if len(data) % 8:
        raise ProtocolError("usage counters come in 8-byte blocks", data)
    counters = []
    for offset in range(0, len(data), 8):
        index, padding, value, zero, tag = struct.unpack("<B3sHBB", data[offset : offset + 8])
        if padding != bytes(3) or zero:
            raise ProtocolError("usage counter block with non-zero padding", data)
        counters.append(UsageCounter(index, value, tag))
    return counters


def usage_counters_read(node: Node = Node.HOLDER) -> ExtendedFrame:
    return ExtendedFrame(node, ExtendedType.READ, ExtendedAddress.USAGE_COUNTERS)
