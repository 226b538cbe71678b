"""The SCP control point as every radio adapter serves it: reassemble the client's
writes, ask the model for the answer, and apply the link faults on the way out."""

from __future__ import annotations

from dataclasses import dataclass

from iqos.protocol import ProtocolError, Reassembler
from simulator.device import SimulatedDevice
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


class ControlPoint:
    def __init__(self, device: SimulatedDevice) -> None:
        self.device = device
        self._reassembler = Reassembler()

    def reset(self) -> None:
        """A new connection starts with nothing pending."""
        self._reassembler.reset()

    def write(self, value: bytes) -> Reply | None:
        try:
            frame = self._reassembler.feed(bytes(value))
        except ProtocolError:
            return None
        if frame is None:
            return None
        device = self.device
        if device.has_fault("disconnect_after_operations"):
            return Reply(disconnect=True)
        if device.has_fault("scp_no_answer"):
            return None
        reply = answer(device, frame)
        if reply is None:
            return None
        wire = reply.encode()
        if device.has_fault("scp_bad_crc"):
            wire = wire[:-1] + bytes((wire[-1] ^ 0xFF,))
        delay = SLOW_ANSWER_SECONDS if device.has_fault("slow_answers") else 0.0
        return Reply(wire=wire, delay=delay)
