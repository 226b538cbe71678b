"""The frames public clients send and decode, beyond the reference's checked vectors
(docs/protocol.md, "What the simulator answers, and why"): each decodes to its
meaning and encodes back to the same bytes."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iqos.protocol import (
    AmbientState,
    AmbientTemperature,
    DeviceStatus,
    ExtendedFrame,
    ExtendedType,
    Node,
    ProtocolError,
    Reassembler,
    ShortFrame,
    decode_frame,
)
from iqos.protocol.registers import (
    BRIGHTNESS_LOW,
    CounterTag,
    HolderRegister,
    Register,
    UsageCounter,
    UsageCounters,
    decode_battery_voltage,
    decode_brightness,
    encode_battery_voltage,
    encode_brightness,
)
from iqos.protocol.scp import answering_node, is_answer_to
from iqos.protocol.status import StatusBit7
from tests.protocol.strategies import status_frames


def frame(text: str) -> bytes:
    return bytes.fromhex(text)


def test_the_seven_byte_firmware_read_carries_two_argument_bytes() -> None:
    wire = frame("00 C0 00 00 00 00 00")
    with pytest.raises(ProtocolError, match="length code for 0 data bytes has 2"):
        decode_frame(wire)
    read = decode_frame(wire, extra_bytes=True)
    assert read == ShortFrame(Node.CHARGER, Register.FIRMWARE_VERSION, extra=frame("00 00"))
    assert read.encode() == wire


def test_extra_bytes_still_need_a_valid_crc_and_the_announced_data() -> None:
    with pytest.raises(ProtocolError, match="bad CRC"):
        decode_frame(frame("00 C0 00 00 00 00 01"), extra_bytes=True)
    with pytest.raises(ProtocolError, match="length code for 4"):
        decode_frame(frame("00 C0 44 22 01 00 00"), extra_bytes=True)


def test_a_tolerant_reassembler_passes_extra_bytes_on() -> None:
    reassembler = Reassembler(extra_bytes=True)
    assert reassembler.feed(frame("01 C9 00 00")) is None
    assert reassembler.feed(frame("00 00 00 00")) == ShortFrame(
        Node.HOLDER, Register.FIRMWARE_VERSION, extra=frame("00 00")
    )


@pytest.mark.parametrize(
    ("wire", "node", "register"),
    [
        ("00 C0 00 21 E7", Node.CHARGER, Register.BATTERY_VOLTAGE),
        ("00 C0 02 23 C3", Node.CHARGER, Register.BRIGHTNESS),
        ("00 C9 00 04 1C", Node.HOLDER, Register.LOCK),
        ("00 C9 00 24 FC", Node.HOLDER, HolderRegister.BRIGHTNESS),
    ],
)
def test_public_client_reads(wire: str, node: Node, register: int) -> None:
    assert decode_frame(frame(wire)) == ShortFrame(node, register)
    assert ShortFrame(node, register).encode() == frame(wire)


def test_holder_brightness_writes_of_iqos_cli() -> None:
    for wire, level in (("00 C9 44 24 64 00 00 00 34", 0x64), ("00 C9 44 24 1E 00 00 00 9A", 0x1E)):
        write = decode_frame(frame(wire))
        assert isinstance(write, ShortFrame) and write.write
        assert (write.node, write.register) == (Node.HOLDER, HolderRegister.BRIGHTNESS)
        assert decode_brightness(write.data) == level


def test_battery_voltage_is_answered_from_node_0x08() -> None:
    request = ShortFrame(Node.CHARGER, Register.BATTERY_VOLTAGE)
    reply = request.answer(encode_battery_voltage(4264))
    assert reply.encode()[:6] == frame("00 08 88 21 00 A8")
    assert decode_battery_voltage(reply.data) == 4264
    assert is_answer_to(request, reply)
    assert not is_answer_to(request, ShortFrame(Node.CHARGER, 0x084, bytes(14), response=True))
    assert answering_node(Node.CHARGER, Register.BATTERY_PERCENT) is Node.CHARGER


def test_brightness_and_voltage_records_refuse_unknown_bytes() -> None:
    assert encode_brightness(BRIGHTNESS_LOW) == frame("1E 00 00 00")
    with pytest.raises(ProtocolError, match="padding"):
        decode_brightness(frame("1E 00 01 00"))
    with pytest.raises(ProtocolError, match="unknown non-zero"):
        decode_battery_voltage(frame("00 A8 10 01") + bytes(10))


def test_four_usage_blocks_give_puffs_and_days_used() -> None:
    """iqosctl's test vector: length 0x22, four blocks, 0x8E and 0x17 decoded."""
    data = frame(
        "00 00 00 00 D2 04 00 8E  01 00 00 00 2A 00 00 17"
        " 02 00 00 00 07 00 00 20  03 00 00 00 E7 03 00 18"
    )
    answer = ExtendedFrame(Node.HOLDER_ANSWER, ExtendedType.READ_RESPONSE, frame("01 01"), data)
    assert answer.encode()[:4] == frame("00 08 90 22")
    counters = UsageCounters.decode(data)
    assert (counters.puffs, counters.days_used) == (1234, 42)
    assert counters.value(CounterTag.UNDECODED_18) == 999
    assert counters.encode() == data
    assert UsageCounters((UsageCounter(0, 5, 0x20),)).puffs is None


def test_status_bit_7_as_holder_2s_ambient_flag() -> None:
    """Both ambient bits over one byte: refused by the reference's reading, taken by
    the other, and re-encoded the same."""
    wire = frame("84 00 06")
    with pytest.raises(ProtocolError, match="announced twice"):
        DeviceStatus.decode(wire)
    status = DeviceStatus.decode(wire, StatusBit7.HOLDER2_AMBIENT)
    assert status.ambient == AmbientTemperature(AmbientState.TOO_HIGH, AmbientState.TOO_LOW)
    assert status.ambient_bits == (2, 7)
    assert status.encode() == wire


@given(status_frames, st.sampled_from(list(StatusBit7)))
def test_one_ambient_flag_reads_the_same_either_way(status: DeviceStatus, bit7: StatusBit7) -> None:
    assert DeviceStatus.decode(status.encode(), bit7) == status
