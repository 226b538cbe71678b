"""Every control point request docs/protocol.md documents, in every form it names, with
what a simulated device of each model must answer and how the client stack decodes it.

The expected answers are built from the header bytes the docs give, the device's
state and the CRC, not by the simulator's code; the decoding uses the client's
decoders and must give back the device's state. `test_docs_table.py` keeps this
list and the table in docs/protocol.md the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from iqos.protocol import (
    ExtendedFrame,
    FirmwareVersion,
    Frame,
    Node,
    ProtocolError,
    ShortFrame,
    crc8,
    crc16,
    decode_frame,
)
from iqos.protocol.model import Capability
from iqos.protocol.registers import (
    CounterTag,
    UsageCounters,
    VibrationSettings,
    decode_battery_voltage,
    decode_brightness,
    decode_clock,
    decode_find_my,
    decode_lock,
    decode_stick_inserted,
    decode_text,
    decode_u16,
    encode_battery_voltage,
    encode_brightness,
    encode_clock,
    encode_lock,
    encode_stick_inserted,
    encode_text,
    encode_u16,
)
from simulator.device import SimulatedDevice
from simulator.profile import Counter8E

CLOCK_SET_TO = datetime(2026, 11, 24, 12, 30, tzinfo=UTC)
"""The moment the documented clock write sets (`48 48 C8 1F` seconds since 2010)."""


def wire(text: str) -> bytes:
    return bytes.fromhex(text)


def short_answer(header: str, data: bytes) -> bytes:
    """A short answer: its first four bytes as the docs give them, the data, the CRC-8."""
    head = wire(header)
    return head + data + bytes((crc8(head[2:] + data),))


def extended_answer(header: str, data: bytes) -> bytes:
    """An extended answer: flag, node, type, length and address as the docs give them,
    the data, the CRC-16 low byte first."""
    head = wire(header)
    crc = crc16(head[2:] + data)
    return head + data + bytes((crc & 0xFF, crc >> 8))


@dataclass(frozen=True)
class Form:
    """One way a request is written: the ATT writes in order, and who sends it so."""

    label: str
    writes: tuple[bytes, ...]
    extra_bytes: bool = False
    """Carries argument bytes beyond its length code: answered only by a device whose
    profile takes them (`behaviour.scp_extra_bytes`)."""

    @property
    def frame(self) -> Frame | None:
        """The request as the device reassembles it; None for one no device takes (a
        bad CRC)."""
        whole = bytes(1) + self.writes[0][1:] + b"".join(piece[1:] for piece in self.writes[1:])
        try:
            return decode_frame(whole, extra_bytes=True)
        except ProtocolError:
            return None


def form(label: str, *writes: str, extra_bytes: bool = False) -> Form:
    return Form(label, tuple(wire(text) for text in writes), extra_bytes)


Expect = Callable[[SimulatedDevice, Frame], bytes | None]
Check = Callable[[Frame, SimulatedDevice], bool]


@dataclass(frozen=True)
class Documented:
    """A row of the control point table: its forms, the answer a device of a given
    model gives (None: none), and the check that the client's decoding of that answer
    is the device's state."""

    name: str
    forms: tuple[Form, ...]
    expect: Expect
    check: Check
    forgets_bonds: bool = False
    """The device forgets its bonds on it (the reset): sent to a device of its own."""


def _holder(device: SimulatedDevice) -> bool:
    return device.holder is not None


def _can(device: SimulatedDevice, capability: Capability) -> bool:
    return device.profile.spec.supports(capability)


def _firmware(device: SimulatedDevice) -> FirmwareVersion:
    return FirmwareVersion(*device.profile.firmware)


def _header(
    device: SimulatedDevice, request: Frame, charger: str | None, holder: str | None
) -> str | None:
    """The answer header the docs give for the node asked, where the model has it."""
    if request.node is Node.CHARGER:
        return charger
    return holder if request.node is Node.HOLDER and _holder(device) else None


def _read(
    value: Callable[[SimulatedDevice], bytes],
    *needs: Capability,
    charger: str | None = None,
    holder: str | None = None,
) -> Expect:
    """A read's answer: the header for the node asked, the device's value."""

    def expect(device: SimulatedDevice, request: Frame) -> bytes | None:
        header = _header(device, request, charger, holder)
        if header is None or not all(_can(device, need) for need in needs):
            return None
        return short_answer(header, value(device))

    return expect


def _echo(*needs: Capability, charger: str | None = None, holder: str | None = None) -> Expect:
    """A write's answer: the header for the node asked, then the written data."""

    def expect(device: SimulatedDevice, request: Frame) -> bytes | None:
        header = _header(device, request, charger, holder)
        if header is None or not all(_can(device, need) for need in needs):
            return None
        return short_answer(header, request.data)

    return expect


def _usage_check(frame: Frame, device: SimulatedDevice) -> bool:
    counters = UsageCounters.decode(frame.data)
    counted = device.profile.behaviour.usage_counter_8e
    expected_8e = device.puffs_taken if counted is Counter8E.PUFFS else device.sessions_smoked
    tags = [block.tag for block in counters.blocks]
    return (
        tags == [CounterTag.PUFFS, CounterTag.DAYS_USED, 0x20, 0x18]
        and counters.puffs == expected_8e
        and counters.days_used == len(device.days_used)
    )


def _usage_expect(device: SimulatedDevice, _request: Frame) -> bytes | None:
    if not _holder(device) or not _can(device, Capability.USAGE_COUNTERS):
        return None
    return extended_answer("00 08 90 22 01 01", device.usage_counters().encode())


CONTROL_POINT: tuple[Documented, ...] = (
    Documented(
        "firmware version read",
        (
            form("reference", "00 C0 00 00 00"),
            form("public clients: 2 extra bytes", "00 C0 00 00 00 00 00", extra_bytes=True),
            form("in two fragments", "01 C0 00 00", "00 00"),
        ),
        _read(lambda d: _firmware(d).encode(), charger="00 C0 88 00"),
        lambda f, d: FirmwareVersion.decode(f.data) == _firmware(d),
    ),
    Documented(
        "holder firmware version read",
        (
            form("reference layout", "00 C9 00 00 00"),
            form("iqosctl: 2 extra bytes", "00 C9 00 00 00 00 00", extra_bytes=True),
        ),
        _read(lambda d: _firmware(d).encode(), holder="00 08 88 00"),
        lambda f, d: FirmwareVersion.decode(f.data) == _firmware(d),
    ),
    Documented(
        "product number",
        (form("charger", "00 C0 00 03 09"),),
        _read(lambda d: encode_text(d.profile.serial[:14]), charger="00 C0 88 03"),
        lambda f, d: decode_text(f.data, "product number") == d.profile.serial[:14],
    ),
    Documented(
        "holder product number",
        (form("holder", "00 C9 00 03 09"),),
        _read(lambda d: encode_text(d.profile.serial[:14]), holder="00 08 88 03"),
        lambda f, d: decode_text(f.data, "product number") == d.profile.serial[:14],
    ),
    Documented(
        "keep-alive",
        (form("reference", "00 C0 01 00 15"),),
        _read(lambda d: wire("01 00 00 00"), charger="00 C0 85 00"),
        lambda f, d: f.data == wire("01 00 00 00"),
    ),
    Documented(
        "keep-alive with a bad CRC",
        (form("iqos_cli's confirmation", "00 C0 01 00 F6"),),
        lambda d, r: None,
        lambda f, d: False,
    ),
    Documented(
        "battery percent",
        (form("reference", "00 C0 00 24 FC"),),
        _read(lambda d: encode_u16(d.charger.level), charger="00 C0 84 24"),
        lambda f, d: decode_u16(f.data, "battery percent") == d.charger.level,
    ),
    Documented(
        "battery voltage",
        (form("iqosctl", "00 C0 00 21 E7"),),
        _read(lambda d: encode_battery_voltage(d.charger.voltage_mv), charger="00 08 88 21"),
        lambda f, d: decode_battery_voltage(f.data) == d.charger.voltage_mv,
    ),
    Documented(
        "model code",
        (
            form("holder", "00 C9 00 22 EE"),
            form("charger (this project's client)", "00 C0 00 22 EE"),
        ),
        _read(
            lambda d: encode_text(d.profile.spec.model_number),
            charger="00 C0 88 22",
            holder="00 08 88 22",
        ),
        lambda f, d: decode_text(f.data, "model code") == d.profile.spec.model_number,
    ),
    Documented(
        "error code",
        (form("reference", "00 C0 02 20 CA"),),
        _read(lambda d: encode_u16(d.error_code()), charger="00 C0 86 20"),
        lambda f, d: decode_u16(f.data, "error code") == d.error_code(),
    ),
    Documented(
        "stick inserted",
        (form("reference", "00 C0 01 20 F5"),),
        _read(lambda d: encode_stick_inserted(d.heating is not None), charger="00 C0 85 20"),
        lambda f, d: decode_stick_inserted(f.data) == (d.heating is not None),
    ),
    Documented(
        "find my device",
        (
            form("start", "00 C0 45 22 01 1E 00 00 C3"),
            form("stop", "00 C0 45 22 00 1E 00 00 D5"),
        ),
        _echo(Capability.FIND_MY, charger="00 C0 C5 22"),
        lambda f, d: decode_find_my(f.data) == d.vibrating,
    ),
    Documented(
        "lock",
        (
            form("lock", "00 C9 44 04 02 FF 00 00 5A"),
            form("unlock", "00 C9 44 04 00 00 00 00 5D"),
        ),
        _echo(Capability.LOCK, holder="00 08 C4 04"),
        lambda f, d: decode_lock(f.data) == d.locked,
    ),
    Documented(
        "lock state read",
        (form("iqos_cli", "00 C9 00 04 1C"),),
        _read(lambda d: encode_lock(d.locked), Capability.LOCK, holder="00 08 84 04"),
        lambda f, d: decode_lock(f.data) == d.locked,
    ),
    Documented(
        "brightness",
        (
            form("high", "00 C0 46 23 64 00 00 00 4F"),
            form("low (iqos_cli)", "00 C0 46 23 1E 00 00 00 E1"),
        ),
        _echo(Capability.BRIGHTNESS, charger="00 C0 C6 23"),
        lambda f, d: decode_brightness(f.data) == d.brightness,
    ),
    Documented(
        "brightness read",
        (form("iqos_cli", "00 C0 02 23 C3"),),
        _read(
            lambda d: encode_brightness(d.brightness), Capability.BRIGHTNESS, charger="00 C0 86 23"
        ),
        lambda f, d: decode_brightness(f.data) == d.brightness,
    ),
    Documented(
        "holder brightness",
        (
            form("high (iqos_cli)", "00 C9 44 24 64 00 00 00 34"),
            form("low (iqos_cli)", "00 C9 44 24 1E 00 00 00 9A"),
        ),
        _echo(Capability.BRIGHTNESS, holder="00 08 C4 24"),
        lambda f, d: decode_brightness(f.data) == d.holder_brightness,
    ),
    Documented(
        "holder brightness read",
        (form("holder", "00 C9 00 24 FC"),),
        _read(
            lambda d: encode_brightness(d.holder_brightness),
            Capability.BRIGHTNESS,
            holder="00 08 84 24",
        ),
        lambda f, d: decode_brightness(f.data) == d.holder_brightness,
    ),
    Documented(
        "vibration settings",
        (form("all off", "00 C9 44 23 10 00 00 00 77"),),
        _echo(Capability.HAPTICS, holder="00 08 C4 23"),
        lambda f, d: VibrationSettings.decode(f.data) == d.haptics,
    ),
    Documented(
        "vibration settings read",
        (form("holder", "00 C9 00 23 E9"), form("one-piece", "00 C0 00 23 E9")),
        _read(
            lambda d: d.haptics.encode(),
            Capability.HAPTICS,
            charger="00 C0 84 23",
            holder="00 08 84 23",
        ),
        lambda f, d: VibrationSettings.decode(f.data) == d.haptics,
    ),
    Documented(
        "clock read",
        (form("reference", "00 C0 10 02 00 04 38 EF"),),
        lambda d, r: (
            extended_answer("00 C0 90 06 00 04", encode_clock(d.device_clock()))
            if _can(d, Capability.CLOCK)
            else None
        ),
        lambda f, d: decode_clock(f.data) == d.device_clock(),
    ),
    Documented(
        "clock set",
        (form("2026-11-24 12:30 UTC", "00 C0 50 06 00 04 48 48 C8 1F 2E B9"),),
        lambda d, r: wire("00 C0 D0 02 00 04 E6 19") if _can(d, Capability.CLOCK) else None,
        lambda f, d: isinstance(f, ExtendedFrame) and d.device_clock() == CLOCK_SET_TO,
    ),
    Documented(
        "usage counters read",
        (form("reference", "00 C9 10 02 01 01 75 D6"),),
        _usage_expect,
        _usage_check,
    ),
    Documented(
        "24-byte write in two fragments",
        (
            form(
                "reference",
                "01 C9 4F 04 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10",
                "00 11 12 13 14 15 16 17 18 93",
            ),
        ),
        lambda d, r: None,
        lambda f, d: False,
    ),
    Documented(
        "reset",
        (form("assumed", "00 C0 44 28 52 53 54 00 BE"),),
        _echo(Capability.APP_RESET, charger="00 C0 C4 28"),
        lambda f, d: f.data == wire("52 53 54 00") and not d.bonds,
        forgets_bonds=True,
    ),
)
"""The control point table of docs/protocol.md, row by row."""


def by_name(name: str) -> Documented:
    return next(row for row in CONTROL_POINT if row.name == name)


def row_for(request: Frame) -> Documented | None:
    """The documented row one of whose forms is `request` (node, register or address,
    read or write): how the conformance suite finds the decoder for any answer."""
    for row in CONTROL_POINT:
        for candidate in row.forms:
            documented = candidate.frame
            if documented is not None and _same_request(documented, request):
                return row
    return None


def _same_request(documented: Frame, request: Frame) -> bool:
    if isinstance(documented, ShortFrame) and isinstance(request, ShortFrame):
        return (documented.node, documented.register, documented.write) == (
            request.node,
            request.register,
            request.write,
        )
    if isinstance(documented, ExtendedFrame) and isinstance(request, ExtendedFrame):
        return (documented.node, documented.kind, documented.address) == (
            request.node,
            request.kind,
            request.address,
        )
    return False
