"""Fans the devices' changes and traffic out to every open page, as they happen.

A device tells its listeners of every change (whoever made it: the page, the
control socket, a scenario, the simulated clock, an app over the radio), and
the tap tells of every GATT exchange. Several changes in one turn of the event
loop become one update, so a scenario that sets ten things sends one frame.
A page too slow to keep up loses its stream and reconnects; it then gets the
whole picture again, which is never wrong, where a stream with gaps would be.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any

from bumble.device import Device

from iqos.protocol.transcript import Direction, Entry
from simulator.control import Control
from simulator.device import SimulatedDevice
from simulator.panel.traffic import GattTap, name_of
from simulator.panel.view import describe, fault_groups, view

Event = tuple[str, dict[str, Any]]
"""An event name and its JSON body; None in a queue ends that page's stream."""
QUEUE_LIMIT = 1000
"""Events waiting for one page; a page further behind than this has gone away."""
HISTORY = 200
"""Traffic entries a page gets for each device when it connects."""


def entry_json(entry: Entry) -> dict[str, Any]:
    event = entry.direction is Direction.EVENT
    return {
        "at": round(entry.at, 3),
        "direction": str(entry.direction),
        "event": event,
        "characteristic": "" if event else name_of(entry.characteristic),
        "hex": entry.data.hex(" "),
        "meaning": entry.meaning,
    }


class Hub:
    def __init__(self, control: Control) -> None:
        self.control = control
        self.taps: dict[str, GattTap] = {}
        self._pages: set[asyncio.Queue[Event | None]] = set()
        self._dirty: set[str] = set()
        self._flush_pending = False
        self._following: list[tuple[SimulatedDevice, Callable[[], None]]] = []

    def tap(self, device: SimulatedDevice, radio: Device) -> None:
        """Record the device's GATT traffic (bumble radios only)."""
        address = device.address
        self.taps[address] = GattTap(
            radio,
            on_entry=functools.partial(self._traffic, address),
            on_link=functools.partial(self._changed, address),
        )

    def follow(self) -> None:
        """Listen to every device the control API serves; called once they all run."""
        for device in self.control.devices:
            listener = functools.partial(self._changed, device.address)
            device.listeners.append(listener)
            self._following.append((device, listener))

    def close(self) -> None:
        """Stop listening, and end every page's stream so the server can stop."""
        for device, listener in self._following:
            if listener in device.listeners:
                device.listeners.remove(listener)
        self._following.clear()
        for tap in self.taps.values():
            tap.detach()
        for page in list(self._pages):
            self._end(page)

    # --- pages ------------------------------------------------------------------------

    def subscribe(self) -> asyncio.Queue[Event | None]:
        page: asyncio.Queue[Event | None] = asyncio.Queue(QUEUE_LIMIT)
        self._pages.add(page)
        return page

    def unsubscribe(self, page: asyncio.Queue[Event | None]) -> None:
        self._pages.discard(page)

    def hello(self) -> dict[str, Any]:
        """Everything a page needs to draw from nothing."""
        devices = []
        for device in self.control.devices:
            tap = self.taps.get(device.address)
            entries = list(tap.transcript.entries)[-HISTORY:] if tap else []
            devices.append(
                {
                    **describe(device, tap),
                    **view(self.control, device, tap),
                    "log": [entry_json(entry) for entry in entries],
                }
            )
        return {"devices": devices, "groups": fault_groups(self.control)}

    def _publish(self, event: Event) -> None:
        for page in list(self._pages):
            try:
                page.put_nowait(event)
            except asyncio.QueueFull:
                self._end(page)

    def _end(self, page: asyncio.Queue[Event | None]) -> None:
        self._pages.discard(page)
        while not page.empty():
            page.get_nowait()
        page.put_nowait(None)

    # --- sources ----------------------------------------------------------------------

    def _changed(self, address: str) -> None:
        self._dirty.add(address)
        if not self._flush_pending:
            self._flush_pending = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_pending = False
        dirty, self._dirty = self._dirty, set()
        for device in self.control.devices:
            if device.address in dirty:
                self._publish(("device", view(self.control, device, self.taps.get(device.address))))

    def _traffic(self, address: str, entry: Entry) -> None:
        self._publish(("traffic", {"address": address, "entry": entry_json(entry)}))
