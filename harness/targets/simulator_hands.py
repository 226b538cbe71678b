"""Hands on a simulated device, through the simulator's control protocol.

One implementation for every place a simulated device can be: in this process
(the virtual and bluez targets, over `Control.answer`), or behind `iqos-sim
serve`'s socket (the rehearsal's operator, a remote bench, a device simulated on
another machine). The protocol checks and refuses a request the same way either
way, and its refusals become the harness' errors here, and only here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from harness.targets.base import ActionRefused, Hands, TargetError
from simulator import control
from simulator.control import Channel, Control, ControlError, Reach
from simulator.device import SimulatedDevice


class SimulatorHands(Hands):
    def __init__(self, channel: Channel, device: str) -> None:
        """`device` is a name or an address, as the control protocol takes it."""
        self.channel = channel
        self.device = device

    @classmethod
    def in_process(
        cls,
        device: SimulatedDevice,
        settled: Callable[[], Awaitable[None]] | None = None,
        reach: Reach | None = None,
    ) -> SimulatorHands:
        """Hands on a device of this process. `settled` waits until the radio shows
        the device's changes (on BlueZ they reach the controller in the background):
        an action is done only then. `reach`, where the radio has one, takes the
        device out of range and back. By address: two simulated devices may share a
        name, never an address."""
        reaches = {device.address: reach} if reach is not None else {}
        return cls(Control([device], settled, reaches=reaches).answer, device.address)

    async def _ask(self, operation: str, **fields: Any) -> Any:
        try:
            return await self.channel({"op": operation, "device": self.device, **fields})
        except control.ActionRefused as refused:
            raise ActionRefused(str(refused)) from None
        except ControlError as error:
            raise TargetError(str(error)) from error

    async def act(self, action: str, **parameters: Any) -> None:
        await self._ask("act", action=action, parameters=parameters)

    async def inject(self, fault: str, **parameters: Any) -> None:
        await self._ask("inject", fault=fault)

    async def clear(self, fault: str) -> None:
        await self._ask("clear", fault=fault)

    async def set_battery(self, part: str, level: int) -> None:
        await self._ask("set_battery", part=part, level=level)

    async def pass_time(self, seconds: float) -> None:
        await self.act("wait", seconds=seconds)

    async def observe(self, what: str) -> bool:
        """A yes-or-no part of the device's state ("vibrating")."""
        seen = (await self.snapshot()).get(what)
        if not isinstance(seen, bool):
            raise TargetError(f"cannot observe {what!r}")
        return seen

    async def snapshot(self) -> dict[str, Any]:
        state: dict[str, Any] = await self._ask("state")
        return state
