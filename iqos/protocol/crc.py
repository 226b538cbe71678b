"""The two checksums the SCP channel uses, and the record checksum.

Table driven, because every frame on the wire passes through them and the
fuzz tests push hundreds of thousands of frames through the decoders.
"""

from collections.abc import Sequence

RECORD_CRC_INIT = 0x44


def _crc8_table(poly: int) -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = ((crc << 1) ^ poly) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
        table.append(crc)
    return tuple(table)


def _crc16_table(poly: int) -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ poly) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
        table.append(crc)
    return tuple(table)


_CRC8: Sequence[int] = _crc8_table(0x07)
_CRC16: Sequence[int] = _crc16_table(0x755B)


def crc8(data: bytes, init: int = 0x00) -> int:
    """CRC-8/SMBUS (poly 0x07, not reflected, no final XOR); `init` serves records."""
    crc = init
    for byte in data:
        crc = _CRC8[crc ^ byte]
    return crc


def crc16(data: bytes) -> int:
    """CRC-16 with poly 0x755B, init 0, not reflected, no final XOR (extended frames)."""
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC16[(crc >> 8) ^ byte]
    return crc


def record_checksum(covered: bytes) -> int:
    """Checksum carried in the first data byte of a 14- or 24-byte SCP record."""
    return crc8(covered, RECORD_CRC_INIT)
