"""A button wired as labgrid wires one: a relay (any digital output) across its contacts."""

from __future__ import annotations

import time

import attr
from labgrid.driver.common import Driver
from labgrid.factory import target_factory
from labgrid.protocol import DigitalOutputProtocol
from labgrid.step import step

from harness.farm.protocols import ButtonProtocol


@target_factory.reg_driver
@attr.s(eq=False)
class DigitalOutputButtonDriver(Driver, ButtonProtocol):
    """Closes the relay for as long as the button is to be held, in real time: a real
    device counts real seconds."""

    bindings = {"output": DigitalOutputProtocol}  # noqa: RUF012  # labgrid reads the class attribute

    @Driver.check_active
    @step(args=["seconds"])
    def press_for(self, seconds: float) -> None:
        self.output.set(True)
        try:
            time.sleep(seconds)
        finally:
            self.output.set(False)
