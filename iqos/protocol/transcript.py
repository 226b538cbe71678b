"""A record of what crossed the GATT link, decoded where the protocol allows.

The client writes into it when given one; the harness attaches it to the
report, so a failed scenario shows the exact frames and their meaning. It keeps
the last `KEPT_ENTRIES` only: a client that lives for a soak of thousands of
connections must not grow with them.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from iqos.protocol import BatteryInformation, DeviceStatus, ProtocolError, decode_frame
from iqos.protocol.uuids import BATTERY_INFORMATION, DEVICE_STATUS, SCP_CONTROL_POINT


class Direction(StrEnum):
    WRITE = "app → device"
    READ = "device → app (read)"
    NOTIFY = "device → app (notify)"
    EVENT = "event"


_DECODERS: dict[str, Callable[[bytes], object]] = {
    BATTERY_INFORMATION: BatteryInformation.decode,
    DEVICE_STATUS: DeviceStatus.decode,
}


@dataclass(frozen=True)
class Entry:
    at: float
    direction: Direction
    characteristic: str
    data: bytes
    meaning: str


KEPT_ENTRIES = 5000
"""Far more than a scenario writes (tens of entries), far less than a soak would."""


@dataclass
class Transcript:
    entries: deque[Entry] = field(default_factory=lambda: deque(maxlen=KEPT_ENTRIES))
    clock: Callable[[], float] = time.monotonic
    """Where entries take their time from: the event loop's clock, where that loop keeps
    virtual time, so that a 2 s timeout reads as 2 s."""
    started: float = field(init=False)
    dropped: int = 0
    """Entries that fell off the front once `KEPT_ENTRIES` were kept."""

    def __post_init__(self) -> None:
        self.started = self.clock()

    def _keep(self, entry: Entry) -> None:
        if len(self.entries) == self.entries.maxlen:
            self.dropped += 1
        self.entries.append(entry)

    def record(self, direction: Direction, characteristic: str, data: bytes) -> None:
        self._keep(
            Entry(
                self.clock() - self.started,
                direction,
                characteristic,
                bytes(data),
                _meaning(characteristic, bytes(data)),
            )
        )

    def note(self, text: str) -> None:
        """A link event (connected, paired, disconnected) between frames."""
        self._keep(Entry(self.clock() - self.started, Direction.EVENT, "", b"", text))

    def render(self) -> str:
        lines = [f"({self.dropped} earlier entries not kept)"] if self.dropped else []
        for entry in self.entries:
            if entry.direction is Direction.EVENT:
                lines.append(f"{entry.at:8.3f}  -- {entry.meaning}")
                continue
            name = characteristic_name(entry.characteristic)
            lines.append(
                f"{entry.at:8.3f}  {entry.direction:<22} {name:<20} {entry.data.hex(' ')}\n"
                f"{'':10}{entry.meaning}"
            )
        return "\n".join(lines)


_NAMES = {
    SCP_CONTROL_POINT: "SCP control point",
    BATTERY_INFORMATION: "battery information",
    DEVICE_STATUS: "device status",
}


def characteristic_name(uuid: str) -> str:
    """What a person calls an RRP characteristic; other UUIDs as they are."""
    return _NAMES.get(uuid, uuid)


def _meaning(characteristic: str, data: bytes) -> str:
    try:
        if characteristic == SCP_CONTROL_POINT:
            if data[:1] == b"\x01":
                return "fragment (more follow)"
            return repr(decode_frame(data))
        decoder = _DECODERS.get(characteristic)
        return repr(decoder(data)) if decoder else ""
    except ProtocolError as error:
        return f"malformed: {error.reason}"
