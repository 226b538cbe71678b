"""Power and button of a simulated device, through its simulator's control socket.

The drivers are labgrid's kind, synchronous: each request runs on an event loop of
its own, in the caller's thread (the target calls them off its own loop).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import attr
from labgrid.driver.common import Driver
from labgrid.driver.exception import ExecutionError
from labgrid.driver.powerdriver import PowerResetMixin
from labgrid.factory import target_factory
from labgrid.protocol import PowerProtocol
from labgrid.step import step

from harness.farm.protocols import ButtonProtocol
from simulator.control import ControlError, request

ANSWER_SECONDS = 10.0


def _ask(port: Any, message: dict[str, Any]) -> Any:
    """One request about the port's device; a refusal is labgrid's ExecutionError."""
    try:
        return asyncio.run(
            request(Path(port.socket), {**message, "device": port.device}, ANSWER_SECONDS)
        )
    except ControlError as error:
        raise ExecutionError(f"simulator at {port.socket}: {error}") from None


@target_factory.reg_driver
@attr.s(eq=False)
class IqosSimulatorPowerDriver(Driver, PowerResetMixin, PowerProtocol):
    bindings = {"port": "IqosSimulatorPowerPort"}  # noqa: RUF012  # labgrid reads the class attribute

    @Driver.check_active
    @step()
    def on(self) -> None:
        _ask(self.port, {"op": "power", "on": True})

    @Driver.check_active
    @step()
    def off(self) -> None:
        _ask(self.port, {"op": "power", "on": False})

    @Driver.check_active
    @step()
    def cycle(self) -> None:
        self.off()
        self.on()

    @Driver.check_active
    @step(result=True)
    def get(self) -> bool:
        return bool(_ask(self.port, {"op": "power"})["powered"])


@target_factory.reg_driver
@attr.s(eq=False)
class IqosSimulatorButtonDriver(Driver, ButtonProtocol):
    """Holds the button on the simulator's clock, so a 10 s hold takes no 10 s."""

    bindings = {"button": "IqosSimulatorButton"}  # noqa: RUF012  # labgrid reads the class attribute

    @Driver.check_active
    @step(args=["seconds"])
    def press_for(self, seconds: float) -> None:
        _ask(
            self.button, {"op": "act", "action": "hold_button", "parameters": {"seconds": seconds}}
        )
