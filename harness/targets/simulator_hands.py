"""Hands on a simulated device: its own API does what a person would do."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from harness.targets.base import Hands, TargetError
from simulator.device import DeviceRefused, SimulatedDevice
from simulator.faults import UnknownFault


class SimulatorHands(Hands):
    """Physical actions and faults through the simulator's own API."""

    def __init__(
        self, device: SimulatedDevice, settled: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        """`settled` waits until the radio shows the device's changes (on BlueZ they
        reach the controller in the background): a step is done only then."""
        self.device = device
        self.settled = settled

    async def _radio_settled(self) -> None:
        if self.settled is not None:
            await self.settled()

    async def act(self, action: str, **parameters: Any) -> None:
        device = self.device
        try:
            device.act(action, **parameters)
        except ValueError as error:
            raise TargetError(str(error)) from error
        except DeviceRefused as error:
            raise TargetError(
                f"{device.name} refused to {action.replace('_', ' ')}: {error}"
            ) from error
        await self._radio_settled()

    async def inject(self, fault: str, **parameters: Any) -> None:
        try:
            self.device.inject(fault)
        except (UnknownFault, DeviceRefused) as error:
            raise TargetError(str(error)) from error
        await self._radio_settled()

    async def clear(self, fault: str) -> None:
        try:
            self.device.clear(fault)
        except UnknownFault as error:
            raise TargetError(str(error)) from error
        await self._radio_settled()

    async def set_battery(self, part: str, level: int) -> None:
        self.device.set_battery(part, level)
        await self._radio_settled()

    async def pass_time(self, seconds: float) -> None:
        self.device.pass_time(seconds)
        await self._radio_settled()

    async def observe(self, what: str) -> bool:
        if what != "vibrating":
            raise TargetError(f"cannot observe {what!r}")
        return self.device.vibrating

    async def snapshot(self) -> dict[str, Any] | None:
        return self.device.snapshot()
