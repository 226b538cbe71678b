"""A scenario's share of a running capture of the kernel's HCI monitor.

The guest records the monitor channel (both controllers, HCI and mgmt) for a
whole boot into one live file: a pcap from `tcpdump -i bluetooth-monitor`,
which only copies packets, where `btmon -w` also decodes each one it writes
and cost a fifth of the guest's CPU. A btsnoop file from `btmon -w` is read
too. A scenario's evidence is its records as btsnoop (Wireshark and btmon read
it), cut from the live file: there is no capture process per scenario.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from simulator.radio.btsnoop import (
    DATALINK_MONITOR,
    HEADER,
    MAGIC,
    RECORD,
    UNIX_EPOCH_US,
    VERSION,
)

PCAP_HEADER = struct.Struct("<IHHiIII")
PCAP_RECORD = struct.Struct("<IIII")
PCAP_MAGIC_US = 0xA1B2C3D4
LINKTYPE_BLUETOOTH_LINUX_MONITOR = 254
MONITOR_PSEUDO_HEADER = struct.Struct(">HH")


@dataclass(frozen=True)
class MonitorRecord:
    """One packet of the monitor channel: its controller, btsnoop opcode and time."""

    unix_us: int
    index: int
    opcode: int
    data: bytes


def records(capture: bytes) -> Iterator[MonitorRecord]:
    """The whole records of a btsnoop (monitor) or pcap (Linux monitor) capture.

    A record still being written when the file was read is left out."""
    if capture[:8] == MAGIC and len(capture) >= HEADER.size:
        yield from _btsnoop_records(capture)
    elif len(capture) >= PCAP_HEADER.size and _is_monitor_pcap(capture):
        yield from _pcap_records(capture)
    else:
        raise ValueError("not a btsnoop or Bluetooth-monitor pcap capture")


def _btsnoop_records(capture: bytes) -> Iterator[MonitorRecord]:
    offset = HEADER.size
    while offset + RECORD.size <= len(capture):
        _original, included, flags, _drops, stamp = RECORD.unpack_from(capture, offset)
        end = offset + RECORD.size + included
        if end > len(capture):
            return
        data = capture[offset + RECORD.size : end]
        yield MonitorRecord(stamp - UNIX_EPOCH_US, flags >> 16, flags & 0xFFFF, data)
        offset = end


def _is_monitor_pcap(capture: bytes) -> bool:
    magic, _major, _minor, _zone, _sigfigs, _snaplen, link = PCAP_HEADER.unpack_from(capture)
    return bool(magic == PCAP_MAGIC_US and link == LINKTYPE_BLUETOOTH_LINUX_MONITOR)


def _pcap_records(capture: bytes) -> Iterator[MonitorRecord]:
    offset = PCAP_HEADER.size
    while offset + PCAP_RECORD.size <= len(capture):
        seconds, micros, included, _original = PCAP_RECORD.unpack_from(capture, offset)
        start = offset + PCAP_RECORD.size
        end = start + included
        if end > len(capture) or included < MONITOR_PSEUDO_HEADER.size:
            return
        index, opcode = MONITOR_PSEUDO_HEADER.unpack_from(capture, start)
        data = capture[start + MONITOR_PSEUDO_HEADER.size : end]
        yield MonitorRecord(seconds * 1_000_000 + micros, index, opcode, data)
        offset = end


def btsnoop(kept: Iterator[MonitorRecord]) -> bytes:
    """Records as a btsnoop file of the monitor datalink, as `btmon -w` writes it."""
    parts = [HEADER.pack(MAGIC, VERSION, DATALINK_MONITOR)]
    for record in kept:
        flags = (record.index << 16) | record.opcode
        stamp = record.unix_us + UNIX_EPOCH_US
        parts.append(RECORD.pack(len(record.data), len(record.data), flags, 0, stamp))
        parts.append(record.data)
    return b"".join(parts)


def since(capture: bytes, unix_seconds: float) -> bytes:
    """Every whole record stamped at or after `unix_seconds`, as btsnoop."""
    start = round(unix_seconds * 1_000_000)
    return btsnoop(record for record in records(capture) if record.unix_us >= start)
