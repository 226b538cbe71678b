"""A scenario's share of a running btmon capture.

btmon writes one btsnoop file for a whole guest boot (both controllers, the
monitor datalink). A scenario's evidence is the records stamped since it
started: cut from the live file, so there is no capture process to start and
stop per scenario.
"""

from __future__ import annotations

import struct

HEADER = struct.Struct(">8sII")
RECORD = struct.Struct(">IIIIq")
MAGIC = b"btsnoop\0"
#: btsnoop timestamps count microseconds from midnight, 1 January of year 0.
UNIX_EPOCH_US = 0x00DCDDB30F2F8000


def since(capture: bytes, unix_seconds: float) -> bytes:
    """The btsnoop header and every whole record stamped at or after `unix_seconds`.

    A record still being written when the file was read is left out."""
    if len(capture) < HEADER.size or capture[:8] != MAGIC:
        raise ValueError("not a btsnoop capture")
    start = UNIX_EPOCH_US + round(unix_seconds * 1_000_000)
    kept = [capture[: HEADER.size]]
    offset = HEADER.size
    while offset + RECORD.size <= len(capture):
        _original, included, _flags, _drops, stamp = RECORD.unpack_from(capture, offset)
        end = offset + RECORD.size + included
        if end > len(capture):
            break
        if stamp >= start:
            kept.append(capture[offset:end])
        offset = end
    return b"".join(kept)
