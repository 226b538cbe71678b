"""The device status frame: charger and holder states, errors, warnings and the last
heating session, each present only when its bit in the flags word is set."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntEnum, IntFlag, StrEnum
from typing import Literal, TypeVar

from iqos.protocol.errors import ProtocolError


class ChargerSystemError(IntFlag):
    HOLDER_BATTERY_CHARGER_DEFECT = 0x01
    CHARGING_TIMEOUT = 0x02
    CHARGER_BATTERY_CHARGER_DEFECT = 0x04
    SELF_TEST_FAILURE = 0x08


class ChargerState(IntEnum):
    IDLE = 0
    CHARGING = 1
    CHARGED = 2


class HolderState(IntEnum):
    UNPLUGGED = 0
    CHARGING = 1
    CHARGED = 2
    READY_TO_USE = 3
    CLEANING = 4
    UNCHARGED = 5


class HolderConnection(IntEnum):
    FULL = 0
    RX_PIN_OPEN = 1
    TX_PIN_OPEN = 2
    NOT_CONNECTED = 3


class AmbientState(IntEnum):
    OK = 0
    TOO_LOW = 1
    TOO_HIGH = 2


class HolderError(IntFlag):
    SYSTEM_DEFECT = 0x01
    CHARGING_TIMEOUT = 0x02
    TEMPERATURE_OUT_OF_RANGE = 0x04
    IDENTIFICATION_FAILURE = 0x08


class HolderWarning(IntFlag):
    COMMUNICATION_PROBLEM = 0x01
    NULL_CHARGING_COUNT = 0x02
    PROTOCOL_NOT_SUPPORTED = 0x04
    BATTERY_AGED = 0x08


class EndOfHeatReason(IntEnum):
    NONE = 0
    HEATING_IN_PROGRESS = 1
    END_OF_PROFILE = 2
    USER_ACTION = 3
    HEATER_TOO_HOT = 4
    HEATER_POWER_OUT_OF_RANGE = 5
    LOW_BATTERY = 6
    SYSTEM_FAULT = 7
    PUFF_LIMIT = 8
    AMBIENT_TOO_HOT = 9
    HEATER_VARIATION = 10


class StatusBit7(StrEnum):
    """What flag bit 7 of the status frame announces: public decoders disagree, so a
    model's profile says which reading its devices need (`protocol.status_bit7`)."""

    AMBIENT = "ambient"
    """The ambient byte, in the builds that use bit 7 instead of bit 2 (the protocol
    reference): both bits at once would announce it twice, and are refused."""
    HOLDER2_AMBIENT = "holder2_ambient"
    """Holder 2's ambient flag, sharing the one ambient byte with bit 2 (holder 1), as
    one public decoder reads it: both bits may be set, over a single byte."""


AmbientBit = Literal[2, 7]
_AMBIENT_BITS: tuple[AmbientBit, ...] = (2, 7)


@dataclass(frozen=True)
class ChargerStatus:
    state: ChargerState = ChargerState.IDLE
    low_battery: bool = False
    defect: bool = False


@dataclass(frozen=True)
class HolderStatus:
    state: HolderState = HolderState.UNPLUGGED
    connection: HolderConnection = HolderConnection.FULL
    defect: bool = False


@dataclass(frozen=True)
class AmbientTemperature:
    holder: AmbientState = AmbientState.OK
    holder2: AmbientState = AmbientState.OK


@dataclass(frozen=True)
class LastSession:
    end_reason: EndOfHeatReason = EndOfHeatReason.NONE
    puff_count: int = 0
    duty_cycle_fault: bool = False
    new_information: bool = False
    intensive_puffing: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.puff_count <= 0xFF:
            raise ProtocolError(f"puff count {self.puff_count} outside 0..255")


@dataclass(frozen=True)
class HolderRecord:
    """The four per-holder fields; each is present only if its flag bit was set."""

    error: HolderError | None = None
    warning: HolderWarning | None = None
    system_error: int | None = None
    last_session: LastSession | None = None

    def __post_init__(self) -> None:
        if self.system_error is not None and not 0 <= self.system_error <= 0xFFFFFFFF:
            raise ProtocolError(f"system error {self.system_error} does not fit in u32")


@dataclass(frozen=True)
class DeviceStatus:
    charger_system_error: ChargerSystemError | None = None
    charger: ChargerStatus | None = None
    """Charger and holder states travel as one field: set both or neither."""
    holder: HolderStatus | None = None
    ambient: AmbientTemperature | None = None
    holder1: HolderRecord = field(default_factory=HolderRecord)
    holder2: HolderRecord = field(default_factory=HolderRecord)
    ambient_bits: tuple[AmbientBit, ...] = (2,)
    """Flag bits that announced the ambient byte: 2 normally, 7 in some builds, both
    where bit 7 reads as holder 2's flag (StatusBit7.HOLDER2_AMBIENT).

    Meaningless without an ambient byte, so it reads (2,) then; equal frames compare equal.
    """

    def __post_init__(self) -> None:
        if (self.charger is None) != (self.holder is None):
            raise ProtocolError("charger and holder states are one field: set both or neither")
        if self.ambient is None or not self.ambient_bits:
            object.__setattr__(self, "ambient_bits", (2,))
        else:
            object.__setattr__(self, "ambient_bits", tuple(sorted(set(self.ambient_bits))))

    def encode(self) -> bytes:
        flags = 0
        out = bytearray()
        if self.charger_system_error is not None:
            flags |= 1 << 0
            out.append(int(self.charger_system_error))
        if self.charger is not None and self.holder is not None:
            flags |= 1 << 1
            out += _encode_states(self.charger, self.holder)
        if self.ambient is not None:
            for bit in self.ambient_bits:
                flags |= 1 << bit
            out.append(int(self.ambient.holder) | (int(self.ambient.holder2) << 2))
        for base, record in ((3, self.holder1), (8, self.holder2)):
            if record.error is not None:
                flags |= 1 << base
                out.append(int(record.error))
            if record.warning is not None:
                flags |= 1 << (base + 1)
                out.append(int(record.warning))
            if record.system_error is not None:
                flags |= 1 << (base + 2)
                out += struct.pack("<I", record.system_error)
            if record.last_session is not None:
                flags |= 1 << (base + 3)
                out += _encode_session(record.last_session)
        return struct.pack("<H", flags) + bytes(out)

    @classmethod
    def decode(cls, data: bytes, bit7: StatusBit7 = StatusBit7.AMBIENT) -> DeviceStatus:
        return _StatusReader(bytes(data), bit7).read()


def _encode_states(charger: ChargerStatus, holder: HolderStatus) -> bytes:
    byte_a = (
        int(charger.state) | (0x40 if charger.low_battery else 0) | (0x80 if charger.defect else 0)
    )
    byte_b = int(holder.state) | (int(holder.connection) << 4) | (0x80 if holder.defect else 0)
    return bytes((byte_a, byte_b))


def _encode_session(session: LastSession) -> bytes:
    byte_a = (
        int(session.end_reason)
        | (0x20 if session.duty_cycle_fault else 0)
        | (0x40 if session.new_information else 0)
        | (0x80 if session.intensive_puffing else 0)
    )
    return bytes((byte_a, session.puff_count))


_Enum = TypeVar("_Enum", bound=IntEnum)
_Flag = TypeVar("_Flag", bound=IntFlag)


class _StatusReader:
    """Walks the frame field by field so every short read becomes a ProtocolError."""

    def __init__(self, data: bytes, bit7: StatusBit7) -> None:
        self.data = data
        self.bit7 = bit7
        self.offset = 2

    def take(self, size: int, what: str) -> bytes:
        if self.offset + size > len(self.data):
            raise ProtocolError(f"status frame ends inside the {what} field", self.data)
        chunk = self.data[self.offset : self.offset + size]
        self.offset += size
        return chunk

    def enum(self, kind: type[_Enum], value: int, what: str) -> _Enum:
        try:
            return kind(value)
        except ValueError:
            raise ProtocolError(f"unknown {what} {value}", self.data) from None

    def flags(self, kind: type[_Flag], value: int, what: str) -> _Flag:
        known = 0
        for member in kind:
            known |= int(member)
        if value & ~known:
            raise ProtocolError(f"unknown {what} bits 0x{value & ~known:02X}", self.data)
        return kind(value)

    def read(self) -> DeviceStatus:
        if len(self.data) < 2:
            raise ProtocolError("status frame shorter than its flags word", self.data)
        flags = self.data[0] | (self.data[1] << 8)
        if flags & 0xF000:
            raise ProtocolError(f"status frame announces unknown fields 0x{flags:04X}", self.data)
        both = flags & (1 << 2) and flags & (1 << 7)
        if both and self.bit7 is StatusBit7.AMBIENT:
            raise ProtocolError("ambient temperature announced twice (bits 2 and 7)", self.data)
        system_error = None
        if flags & 1:
            system_error = self.flags(
                ChargerSystemError, self.take(1, "charger system error")[0], "charger system error"
            )
        charger = holder = None
        if flags & (1 << 1):
            charger, holder = self.states()
        ambient = None
        ambient_bits = tuple(bit for bit in _AMBIENT_BITS if flags & (1 << bit))
        if ambient_bits:
            ambient = self.ambient()
        holder1 = self.holder_record(flags, 3)
        holder2 = self.holder_record(flags, 8)
        if self.offset != len(self.data):
            raise ProtocolError(
                f"status frame has {len(self.data) - self.offset} bytes too many", self.data
            )
        return DeviceStatus(system_error, charger, holder, ambient, holder1, holder2, ambient_bits)

    def states(self) -> tuple[ChargerStatus, HolderStatus]:
        byte_a, byte_b = self.take(2, "charger and holder state")
        if byte_a & 0x30:
            raise ProtocolError(f"reserved charger state bits in 0x{byte_a:02X}", self.data)
        if byte_b & 0x40:
            raise ProtocolError(f"reserved holder state bit in 0x{byte_b:02X}", self.data)
        charger = ChargerStatus(
            state=self.enum(ChargerState, byte_a & 0x0F, "charger state"),
            low_battery=bool(byte_a & 0x40),
            defect=bool(byte_a & 0x80),
        )
        holder = HolderStatus(
            state=self.enum(HolderState, byte_b & 0x0F, "holder state"),
            connection=HolderConnection((byte_b >> 4) & 0x03),
            defect=bool(byte_b & 0x80),
        )
        return charger, holder

    def ambient(self) -> AmbientTemperature:
        value = self.take(1, "ambient temperature")[0]
        if value & 0xF0:
            raise ProtocolError(f"reserved ambient temperature bits in 0x{value:02X}", self.data)
        return AmbientTemperature(
            holder=self.enum(AmbientState, value & 0x03, "ambient state"),
            holder2=self.enum(AmbientState, (value >> 2) & 0x03, "ambient state"),
        )

    def holder_record(self, flags: int, base: int) -> HolderRecord:
        error = warning = system_error = session = None
        if flags & (1 << base):
            error = self.flags(HolderError, self.take(1, "holder error")[0], "holder error")
        if flags & (1 << (base + 1)):
            warning = self.flags(HolderWarning, self.take(1, "holder warning")[0], "holder warning")
        if flags & (1 << (base + 2)):
            system_error = struct.unpack("<I", self.take(4, "holder system error"))[0]
        if flags & (1 << (base + 3)):
            byte_a, puffs = self.take(2, "last session")
            if byte_a & 0x10:
                raise ProtocolError(f"reserved last-session bit in 0x{byte_a:02X}", self.data)
            session = LastSession(
                end_reason=self.enum(EndOfHeatReason, byte_a & 0x0F, "end-of-heat reason"),
                puff_count=puffs,
                duty_cycle_fault=bool(byte_a & 0x20),
                new_information=bool(byte_a & 0x40),
                intensive_puffing=bool(byte_a & 0x80),
            )
        return HolderRecord(error, warning, system_error, session)
