"""btsnoop capture of the HCI traffic between one virtual controller and its host.

A capture is taken at the controller, so it holds what a `btmon` on a real
adapter would: the host's commands and ACL data, and the controller's events,
including the advertising reports it actually delivered (reports it dropped for
a congested host are not in it, as they never crossed HCI). Files are written
with bumble's `BtSnooper`: btsnoop version 1, datalink 1002 (HCI UART, H4),
which Wireshark and tshark read.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bumble.snoop import BtSnooper

from simulator.radio.btsnoop import DATALINK_H4, HEADER, MAGIC, RECORD, VERSION
from simulator.radio.link import VirtualController


@contextmanager
def capture(controller: VirtualController, path: Path | str) -> Iterator[Path]:
    """Write everything `controller` and its host exchange to a btsnoop file at `path`.

    One capture per controller at a time: a second one would interleave two files'
    worth of records into neither.
    """
    if controller.snooper is not None:
        raise RuntimeError(f"controller {controller.name} is already being captured")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as output:
        controller.snooper = BtSnooper(output)
        try:
            yield target
        finally:
            controller.snooper = None


@dataclass(frozen=True)
class Record:
    """One packet of a btsnoop file; `received` is controller to host."""

    flags: int
    timestamp_us: int
    packet: bytes

    @property
    def received(self) -> bool:
        return bool(self.flags & 0x01)

    @property
    def is_command_or_event(self) -> bool:
        return bool(self.flags & 0x02)


def read(path: Path | str) -> list[Record]:
    """Parse a btsnoop file (H4 datalink), checking the header and every record length.

    Lets tests and the evidence collector check a capture without tshark.
    """
    data = Path(path).read_bytes()
    if len(data) < HEADER.size:
        raise ValueError("not a btsnoop file: too short")
    magic, version, datalink = HEADER.unpack_from(data)
    if magic != MAGIC or version != VERSION or datalink != DATALINK_H4:
        raise ValueError(f"not an H4 btsnoop v1 file: {magic!r} v{version} datalink {datalink}")
    records = []
    offset = HEADER.size
    while offset < len(data):
        if offset + RECORD.size > len(data):
            raise ValueError(f"truncated record header at byte {offset}")
        original, included, flags, _drops, timestamp = RECORD.unpack_from(data, offset)
        offset += RECORD.size
        if included > original or offset + included > len(data):
            raise ValueError(f"truncated record at byte {offset}")
        records.append(Record(flags, timestamp, data[offset : offset + included]))
        offset += included
    return records
