"""Malformed input gives a ProtocolError that says what is wrong and carries the bytes."""

import pytest

from iqos.protocol import (
    BatteryInformation,
    ChargerStatus,
    DeviceStatus,
    Node,
    ProtocolError,
    Reassembler,
    ShortFrame,
    decode_frame,
    decode_manufacturer_payload,
)
from iqos.protocol.model import ModelSpec

CASES = [
    ("00 C0 00 00 01", decode_frame, "bad CRC-8"),
    ("00 C0 04 00 00", decode_frame, "length code for 4 data bytes has 0"),
    ("00 C0 00", decode_frame, "too short"),
    ("00 77 00 00 00", decode_frame, "unknown SCP node 0x77"),
    ("01 C0 00 00 00", decode_frame, "reassemble first"),
    ("00 C0 10 02 00 04 38 EE", decode_frame, "bad CRC-16"),
    ("00 C0 10 05 00 04 38 EF", decode_frame, "says 5 bytes"),
    ("00 C0 30 02 00 04 00 00", decode_frame, "unknown extended frame type"),
    ("0F 00 38 19", BatteryInformation.decode, "ends inside a field"),
    ("01 00 38 19", BatteryInformation.decode, "1 bytes too many"),
    ("00 02", BatteryInformation.decode, "unknown fields"),
    ("5B 00 00 00 03 00 00 42", DeviceStatus.decode, "inside the last session"),
    ("02 00 0F 00", DeviceStatus.decode, "unknown charger state 15"),
    ("01 00 F0", DeviceStatus.decode, "unknown charger system error bits"),
    ("84 00 00", DeviceStatus.decode, "announced twice"),
    ("00 10", DeviceStatus.decode, "unknown fields"),
    ("02 00", decode_manufacturer_payload, "unknown pairing state"),
    ("01", decode_manufacturer_payload, "state byte then 0x00"),
]


@pytest.mark.parametrize(("wire", "decoder", "message"), CASES)
def test_malformed_input_names_the_problem(wire: str, decoder: object, message: str) -> None:
    data = bytes.fromhex(wire)
    with pytest.raises(ProtocolError, match=message) as caught:
        decoder(data)  # type: ignore[operator]
    assert caught.value.data == data
    assert wire.lower() in str(caught.value)


def test_continuation_after_a_bad_fragment_starts_over() -> None:
    reassembler = Reassembler()
    whole = ShortFrame(Node.CHARGER, 0x13, bytes(24), write=True).encode()
    assert reassembler.feed(b"\x01" + whole[1:20]) is None
    with pytest.raises(ProtocolError, match="fragment flag"):
        reassembler.feed(b"\x07junk")
    assert not reassembler.pending
    assert reassembler.feed(ShortFrame(Node.CHARGER, 0).encode()) == ShortFrame(Node.CHARGER, 0)


def test_out_of_order_fragments_fail_the_crc_or_length() -> None:
    whole = ShortFrame(Node.HOLDER, 0x13, bytes(range(24)), write=True).encode()
    first, second = b"\x01" + whole[1:20], b"\x00" + whole[20:]
    reassembler = Reassembler()
    with pytest.raises(ProtocolError):
        reassembler.feed(second)
    assert reassembler.feed(first) is None
    with pytest.raises(ProtocolError):
        reassembler.feed(first[:1].replace(b"\x01", b"\x00") + first[1:])


def test_endless_fragments_are_cut_off() -> None:
    reassembler = Reassembler()
    with pytest.raises(ProtocolError, match="more than any frame"):
        for _ in range(100):
            reassembler.feed(b"\x01" + bytes(19))


def test_encoders_refuse_values_that_do_not_fit() -> None:
    with pytest.raises(ProtocolError, match="0, 4, 14 or 24"):
        ShortFrame(Node.CHARGER, 0, b"abc")
    with pytest.raises(ProtocolError, match="10 bits"):
        ShortFrame(Node.CHARGER, 0x400)
    with pytest.raises(ProtocolError, match="set both or neither"):
        DeviceStatus(charger=ChargerStatus())


def test_model_spec_names_the_missing_key() -> None:
    with pytest.raises(ProtocolError, match="protocol: 'name_prefix' is a required property"):
        ModelSpec.from_mapping("x", {"display_name": "X"})
