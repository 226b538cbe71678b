"""Random and mutated bytes through every decoder: only ProtocolError may come out."""

import random
from collections.abc import Callable, Iterator

from iqos.protocol import (
    Advertisement,
    BatteryInformation,
    DeviceStatus,
    ExtendedFrame,
    ExtendedType,
    Node,
    ProtocolError,
    Reassembler,
    ShortFrame,
    decode_frame,
    decode_manufacturer_payload,
)
from iqos.protocol.advertising import parse_structures
from iqos.protocol.registers import (
    FirmwareVersion,
    VibrationSettings,
    decode_clock,
    decode_find_my,
    decode_lock,
    decode_stick_inserted,
    decode_text,
    decode_u16,
    decode_usage_counters,
)

SEED = 20261124
STRINGS = 100_000

SEEDS = [
    bytes.fromhex("5B 00 00 00 03 00 00 42 0F"),
    bytes.fromhex("0F 00 38 19 B4 0E 64"),
    bytes.fromhex("00 C0 45 22 01 1E 00 00 C3"),
    bytes.fromhex("00 C0 10 02 00 04 38 EF"),
    ShortFrame(Node.HOLDER, 0x13, bytes(24), write=True).encode(),
    ExtendedFrame(Node.HOLDER, ExtendedType.READ_RESPONSE, b"\x01\x01", bytes(16)).encode(),
    Advertisement("IQOS 3 DUO 0001").advertising_data(),
    bytes.fromhex("FF 0F") + bytes(30),
]


def byte_strings(rng: random.Random) -> Iterator[bytes]:
    for index in range(STRINGS):
        if index % 2:
            yield rng.randbytes(rng.randrange(0, 40))
            continue
        data = bytearray(rng.choice(SEEDS))
        for _ in range(rng.randrange(1, 4)):
            mutation = rng.randrange(4)
            if mutation == 0 and data:
                data[rng.randrange(len(data))] = rng.randrange(256)
            elif mutation == 1 and data:
                del data[rng.randrange(len(data)) :]
            elif mutation == 2:
                data.insert(rng.randrange(len(data) + 1), rng.randrange(256))
            elif data:
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        yield bytes(data)


def _feed_fragments(data: bytes) -> object:
    reassembler = Reassembler()
    for offset in range(0, len(data), 7):
        reassembler.feed(data[offset : offset + 7])
    return None


DECODERS: list[Callable[[bytes], object]] = [
    decode_frame,
    _feed_fragments,
    BatteryInformation.decode,
    DeviceStatus.decode,
    lambda data: Advertisement.decode(data[:31], data[31:]),
    parse_structures,
    decode_manufacturer_payload,
    FirmwareVersion.decode,
    VibrationSettings.decode,
    decode_clock,
    decode_find_my,
    decode_lock,
    decode_stick_inserted,
    lambda data: decode_text(data, "text"),
    lambda data: decode_u16(data, "u16"),
    decode_usage_counters,
]


def test_decoders_raise_only_protocol_error() -> None:
    rng = random.Random(SEED)
    decoded = rejected = 0
    for data in byte_strings(rng):
        for decoder in DECODERS:
            try:
                decoder(data)
                decoded += 1
            except ProtocolError as error:
                assert error.data is not None
                rejected += 1
    assert decoded + rejected == STRINGS * len(DECODERS)
    assert decoded > 0 and rejected > 0
