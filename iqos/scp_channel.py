"""Request and answer on the SCP control point.

The device answers each write with one notification. Battery and status
notifications may arrive in between on their own characteristics, and a
corrupt answer must fail only the request it belongs to, so the channel
matches answers to the pending request by node and register (or address), as
`iqos.protocol.scp.is_answer_to` says (a register may answer from another node).
"""

from __future__ import annotations

import asyncio
from typing import Any

from bleak import BleakClient
from bleak.exc import BleakError

from iqos.errors import BadAnswer, Disconnected, OperationTimeout
from iqos.protocol import (
    Frame,
    ProtocolError,
    Reassembler,
    fragment,
)
from iqos.protocol.scp import is_answer_to
from iqos.protocol.transcript import Direction, Transcript
from iqos.protocol.uuids import SCP_CONTROL_POINT

DEFAULT_TIMEOUT = 10.0


class ScpChannel:
    def __init__(self, client: BleakClient, transcript: Transcript | None = None) -> None:
        self._client = client
        self._transcript = transcript
        self._reassembler = Reassembler()
        self._pending: tuple[Frame, asyncio.Future[Frame]] | None = None
        self._lock = asyncio.Lock()
        self.open = False

    async def start(self) -> None:
        await self._client.start_notify(SCP_CONTROL_POINT, self._on_notify)
        self.open = True

    def _on_notify(self, _characteristic: Any, data: bytearray) -> None:
        raw = bytes(data)
        if self._transcript is not None:
            self._transcript.record(Direction.NOTIFY, SCP_CONTROL_POINT, raw)
        pending = self._pending
        try:
            reply = self._reassembler.feed(raw)
        except ProtocolError as error:
            if pending is not None and not pending[1].done():
                pending[1].set_exception(BadAnswer(f"malformed answer: {error}"))
            return
        if (
            reply is not None
            and pending is not None
            and is_answer_to(pending[0], reply)
            and not pending[1].done()
        ):
            pending[1].set_result(reply)

    def link_lost(self) -> None:
        """Fails the request in flight at once, instead of letting it time out."""
        self.open = False
        pending = self._pending
        if pending is not None and not pending[1].done():
            pending[1].set_exception(Disconnected("the device disconnected during the request"))

    async def request(self, frame: Frame, timeout: float = DEFAULT_TIMEOUT) -> Frame:
        """The answer to `frame`, or a typed error within `timeout`.

        The deadline covers the whole exchange, a wait for an earlier request and the
        ATT writes included: a backend's own timeouts can be far longer (an ATT request
        may wait 30 s for its response), and any of them ends here as OperationTimeout.
        """
        try:
            async with asyncio.timeout(timeout):
                return await self._exchange(frame)
        except TimeoutError:
            raise OperationTimeout(f"no answer to {frame!r} within {timeout:g} s") from None

    async def _exchange(self, frame: Frame) -> Frame:
        async with self._lock:
            future: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
            self._pending = (frame, future)
            self._reassembler.reset()
            wire = frame.encode()
            if self._transcript is not None:
                self._transcript.record(Direction.WRITE, SCP_CONTROL_POINT, wire)
            try:
                for piece in fragment(wire):
                    await self._client.write_gatt_char(SCP_CONTROL_POINT, piece, response=True)
                return await future
            except BleakError as error:
                if not self._client.is_connected:
                    raise Disconnected(f"link lost during {frame!r}: {error}") from error
                raise BadAnswer(f"write refused: {error}") from error
            finally:
                self._pending = None
