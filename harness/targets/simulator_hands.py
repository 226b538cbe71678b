"""Hands on a simulated device: its own API does what a person would do."""

from __future__ import annotations

from typing import Any

from harness.targets.base import Hands, TargetError
from simulator.device import DeviceRefused, SimulatedDevice
from simulator.faults import UnknownFault


class SimulatorHands(Hands):
    """Physical actions and faults through the simulator's own API."""

    def __init__(self, device: SimulatedDevice) -> None:
        self.device = device

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

    async def inject(self, fault: str, **parameters: Any) -> None:
        try:
            self.device.inject(fault)
        except (UnknownFault, DeviceRefused) as error:
            raise TargetError(str(error)) from error

    async def clear(self, fault: str) -> None:
        try:
            self.device.clear(fault)
        except UnknownFault as error:
            raise TargetError(str(error)) from error

    async def set_battery(self, part: str, level: int) -> None:
        self.device.set_battery(part, level)

    async def pass_time(self, seconds: float) -> None:
        self.device.pass_time(seconds)

    async def observe(self, what: str) -> bool:
        if what != "vibrating":
            raise TargetError(f"cannot observe {what!r}")
        return self.device.vibrating

    async def snapshot(self) -> dict[str, Any] | None:
        return self.device.snapshot()
