"""Every checked frame in the protocol reference decodes to its stated meaning and
encodes back to the same bytes."""

from datetime import UTC, datetime

import pytest

from iqos.protocol import (
    Advertisement,
    BatteryInformation,
    CellReading,
    ChargerState,
    DeviceStatus,
    EndOfHeatReason,
    ExtendedFrame,
    ExtendedType,
    HolderState,
    Node,
    PairingState,
    Reassembler,
    Register,
    ShortFrame,
    crc8,
    crc16,
    decode_frame,
    fragment,
    record_checksum,
)
from iqos.protocol.registers import (
    VibrationSettings,
    decode_clock,
    decode_find_my,
    decode_lock,
    encode_clock,
)
from iqos.protocol.uuids import RRP_SERVICE


def frame(text: str) -> bytes:
    return bytes.fromhex(text)


SHORT_REQUESTS = [
    ("00 C0 00 00 00", Node.CHARGER, Register.FIRMWARE_VERSION, b"", False),
    ("00 C0 00 03 09", Node.CHARGER, Register.PRODUCT_NUMBER, b"", False),
    ("00 C9 00 03 09", Node.HOLDER, Register.PRODUCT_NUMBER, b"", False),
    ("00 C0 01 00 15", Node.CHARGER, Register.DEVICE_INFO, b"", False),
    ("00 C0 00 24 FC", Node.CHARGER, Register.BATTERY_PERCENT, b"", False),
    ("00 C9 00 22 EE", Node.HOLDER, Register.MODEL_CODE, b"", False),
    ("00 C0 02 20 CA", Node.CHARGER, Register.ERROR_CODE, b"", False),
    ("00 C0 01 20 F5", Node.CHARGER, Register.STICK_INSERTED, b"", False),
    ("00 C0 45 22 01 1E 00 00 C3", Node.CHARGER, Register.FIND_MY, frame("01 1E 00 00"), True),
    ("00 C0 45 22 00 1E 00 00 D5", Node.CHARGER, Register.FIND_MY, frame("00 1E 00 00"), True),
    ("00 C9 44 04 02 FF 00 00 5A", Node.HOLDER, Register.LOCK, frame("02 FF 00 00"), True),
    ("00 C9 44 04 00 00 00 00 5D", Node.HOLDER, Register.LOCK, frame("00 00 00 00"), True),
    ("00 C0 46 23 64 00 00 00 4F", Node.CHARGER, Register.BRIGHTNESS, frame("64 00 00 00"), True),
    ("00 C9 44 23 10 00 00 00 77", Node.HOLDER, Register.VIBRATION, frame("10 00 00 00"), True),
]


@pytest.mark.parametrize(("wire", "node", "register", "data", "write"), SHORT_REQUESTS)
def test_short_request_vectors(
    wire: str, node: Node, register: Register, data: bytes, write: bool
) -> None:
    expected = ShortFrame(node=node, register=register, data=data, write=write)
    assert decode_frame(frame(wire)) == expected
    assert expected.encode() == frame(wire)


def test_firmware_answer_header_and_version() -> None:
    answer = ShortFrame(Node.CHARGER, Register.FIRMWARE_VERSION).answer(
        frame("00 00 04 01 87 05 00 00 00 00 00 00 00 00")
    )
    assert answer.encode()[:4] == frame("00 C0 88 00")
    from iqos.protocol.registers import FirmwareVersion

    assert FirmwareVersion.decode(answer.data) == FirmwareVersion(4, 1, 135, 5)


def test_battery_percent_answer_header() -> None:
    answer = ShortFrame(Node.CHARGER, Register.BATTERY_PERCENT).answer(frame("38 00 00 00"))
    assert answer.encode()[2:4] == frame("84 24")


def test_holder_answers_come_from_node_0x08() -> None:
    assert ShortFrame(Node.HOLDER, Register.MODEL_CODE).answer(bytes(14)).node is Node.HOLDER_ANSWER
    assert ShortFrame(Node.D2, 0).answer(b"").node is Node.D2_ANSWER


def test_find_my_and_lock_values() -> None:
    assert decode_find_my(frame("01 1E 00 00")) is True
    assert decode_find_my(frame("00 1E 00 00")) is False
    assert decode_lock(frame("02 FF 00 00")) is True
    assert decode_lock(frame("00 00 00 00")) is False


def test_vibration_all_off() -> None:
    off = VibrationSettings(heating_start=False, ready=False, near_end=False, manual_end=False)
    assert VibrationSettings.decode(frame("10 00 00 00")) == off
    assert off.encode() == frame("10 00 00 00")


EXTENDED = [
    ("00 C0 10 02 00 04 38 EF", Node.CHARGER, ExtendedType.READ, frame("00 04")),
    ("00 C9 10 02 01 01 75 D6", Node.HOLDER, ExtendedType.READ, frame("01 01")),
    ("00 C0 D0 02 00 04 E6 19", Node.CHARGER, ExtendedType.WRITE_ACK, frame("00 04")),
]


@pytest.mark.parametrize(("wire", "node", "kind", "address"), EXTENDED)
def test_extended_vectors(wire: str, node: Node, kind: ExtendedType, address: bytes) -> None:
    expected = ExtendedFrame(node, kind, address)
    assert decode_frame(frame(wire)) == expected
    assert expected.encode() == frame(wire)


def test_clock_is_seconds_since_2010() -> None:
    moment = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert decode_clock(encode_clock(moment)) == moment
    assert encode_clock(datetime(2010, 1, 1, 0, 0, 1, tzinfo=UTC)) == frame("01 00 00 00")


def test_crc_definitions() -> None:
    assert crc8(b"123456789") == 0xF4
    assert crc8(frame("00 03")) == 0x09
    assert crc16(frame("10 02 00 04")) == 0xEF38


def test_fragmentation_of_a_24_byte_write() -> None:
    data = bytes(range(1, 25))
    whole = ShortFrame(Node.HOLDER, 0x13, data, write=True).encode()
    first, second = fragment(whole)
    assert first == frame("01 C9 4F 04") + data[:16]
    assert second == bytes([0x00]) + data[16:] + whole[-1:]
    assert whole[-1] == crc8(first[2:] + second[1:-1])
    reassembler = Reassembler()
    assert reassembler.feed(first) is None
    assert reassembler.feed(second) == decode_frame(whole)


def test_record_checksum_uses_init_0x44() -> None:
    covered = bytes(range(6))
    assert record_checksum(covered) == crc8(covered, 0x44)
    assert record_checksum(b"") == 0x44


def test_battery_examples() -> None:
    two_piece = BatteryInformation.decode(frame("0F 00 38 19 B4 0E 64"))
    assert two_piece == BatteryInformation(
        charger=CellReading(level=56, temperature=25, voltage_mv=3764),
        holder=CellReading(level=100),
    )
    assert two_piece.encode() == frame("0F 00 38 19 B4 0E 64")
    one_piece = BatteryInformation.decode(frame("07 00 34 18 68 0E"))
    assert one_piece.charger == CellReading(level=52, temperature=24, voltage_mv=3688)
    assert one_piece.holder is None
    assert one_piece.encode() == frame("07 00 34 18 68 0E")


def test_battery_frame_is_6_bytes_with_holder_out_and_7_with_it_in() -> None:
    charger = CellReading(level=80, temperature=22, voltage_mv=3900)
    assert len(BatteryInformation(charger=charger).encode()) == 6
    assert len(BatteryInformation(charger=charger, holder=CellReading(level=0)).encode()) == 7


def test_status_example() -> None:
    status = DeviceStatus.decode(frame("5B 00 00 00 03 00 00 42 0F"))
    assert status.charger_system_error == 0
    assert status.charger is not None and status.charger.state is ChargerState.IDLE
    assert status.holder is not None and status.holder.state is HolderState.READY_TO_USE
    assert status.holder1.error == 0 and status.holder1.warning == 0
    session = status.holder1.last_session
    assert session is not None
    assert session.end_reason is EndOfHeatReason.END_OF_PROFILE
    assert session.puff_count == 15
    assert session.new_information
    assert status.encode() == frame("5B 00 00 00 03 00 00 42 0F")


def test_ambient_in_bit_7_builds_round_trips() -> None:
    wire = frame("80 00 06")
    status = DeviceStatus.decode(wire)
    assert status.ambient_bits == (7,)
    assert status.encode() == wire


def test_advertising_layout() -> None:
    advertisement = Advertisement(name="IQOS 3 DUO 1A2B", pairing_state=PairingState.PAIRING_MODE)
    data = advertisement.advertising_data()
    assert len(data) <= 31
    assert data[:3] == frame("02 01 05")
    assert frame("05 FF 23 02 01 00") in data
    assert frame("02 0A 06") in data
    assert bytes.fromhex(RRP_SERVICE.replace("-", ""))[::-1] in data
    assert advertisement.scan_response_data() == b"\x10\x09IQOS 3 DUO 1A2B"
    bonded = Advertisement(name="IQOS 3 DUO 1A2B", pairing_state=PairingState.BONDED)
    assert frame("05 FF 23 02 00 00") in bonded.advertising_data()
    assert Advertisement.decode(data, advertisement.scan_response_data()) == advertisement
