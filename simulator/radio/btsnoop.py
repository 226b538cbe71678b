"""The btsnoop file format, as bumble and `btmon -w` write it and Wireshark reads it.

Two captures use it: the virtual controller's (`snoop`, HCI over H4) and the
kernel's monitor channel in the bluez lane (`harness.targets.btmon`). Only the
datalink tells them apart. No radio library here, so the guest runner on the
host can read a capture without importing bumble.
"""

from __future__ import annotations

import struct

MAGIC = b"btsnoop\0"
VERSION = 1
DATALINK_H4 = 1002
"""HCI UART: each packet starts with its H4 type byte; the flags say its direction."""
DATALINK_MONITOR = 2001
"""The Linux monitor channel: the flags carry the controller index and an opcode."""
HEADER = struct.Struct(">8sII")
"""Magic, version, datalink."""
RECORD = struct.Struct(">IIIIq")
"""Original length, included length, flags, cumulative drops, timestamp."""
UNIX_EPOCH_US = 0x00DCDDB30F2F8000
"""Timestamps count microseconds from midnight, 1 January of year 0."""
