"""The SCP control point as every radio adapter serves it: reassemble the client's
writes, ask the model for the answer, and apply the link faults on the way out.

A fragmented write left unfinished (a lone `01 C0`, a client that gave up half-way)
is dropped once no fragment has come for the profile's `scp_reassembly_timeout_ms`,
as a real stack times a reassembly out: otherwise the next request would be joined
to it, and go unanswered.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from iqos.protocol import ProtocolError, Reassembler
from simulator.device import SimulatedDevice
from simulator.faults import LinkFault
from simulator.scp import answer

SLOW_ANSWER_SECONDS = 1.0
"""The `slow_answers` fault: far slower than a simulated answer (milliseconds), and at
most half of any target's answer timeout (the virtual target's is twice this), so a
slow device stays usable; tests/harness/test_faults_link.py checks the relation."""


@dataclass(frozen=True)
class Reply:
    """What the adapter must do after a write: nothing, drop the link, or notify."""

    wire: bytes = b""
    delay: float = 0.0
    disconnect: bool = False


def link_time() -> float:
    """The time of the loop the radio runs on (which may skip idle waits, see
    harness/virtual_time.py), or the monotonic clock outside one."""
    try:
        return asyncio.get_running_loop().time()
    except RuntimeError:
        return time.monotonic()


class ControlPoint:
    def __init__(self, device: SimulatedDevice, now: Callable[[], float] = link_time) -> None:
        """`now` is the link's time, not the device's simulated clock: a reassembly
        times out while the radio waits, whatever the scenario does to the clock."""
        self.device = device
        behaviour = device.profile.behaviour
        self._reassembler = Reassembler(extra_bytes=behaviour.scp_extra_bytes)
        self._timeout = behaviour.scp_reassembly_seconds
        self._now = now
        self._last_fragment = 0.0

    def reset(self) -> None:
        """A new connection starts with nothing pending."""
        self._reassembler.reset()

    def drops_link(self) -> bool:
        """Whether the device drops the link instead of serving a request. Every adapter
        asks here for every request it serves (a read of any characteristic, a whole SCP
        request), so `disconnect_after_operations` means the same on all of them."""
        return self.device.link_fault(LinkFault.DISCONNECT_ON_REQUEST)

    def write(self, value: bytes) -> Reply | None:
        moment = self._now()
        if self._reassembler.pending and moment - self._last_fragment > self._timeout:
            self._reassembler.reset()
        self._last_fragment = moment
        try:
            frame = self._reassembler.feed(bytes(value))
        except ProtocolError:
            return None
        if frame is None:
            return None
        device = self.device
        if self.drops_link():
            return Reply(disconnect=True)
        if device.link_fault(LinkFault.NO_SCP_ANSWER):
            return None
        reply = answer(device, frame)
        if reply is None:
            return None
        wire = reply.encode()
        if device.link_fault(LinkFault.BAD_SCP_CRC):
            wire = wire[:-1] + bytes((wire[-1] ^ 0xFF,))
        delay = SLOW_ANSWER_SECONDS if device.link_fault(LinkFault.SLOW_SCP_ANSWERS) else 0.0
        return Reply(wire=wire, delay=delay)
