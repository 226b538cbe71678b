"""A place's state as an explicit state machine, in labgrid's way (labgrid.strategy).

A place is `off` or `on`; taking it for a run brings it `on` from whatever state
the last user left it in, by a power cycle, so every run starts from a device
that has just booted. A place whose power is not wired is on as the bench keeps
it, and the transitions change nothing. A failed transition breaks the strategy
for good (labgrid's `never_retry`): the place's remaining scenarios fail at once
with the first reason instead of each waiting out its own timeout.
"""

from __future__ import annotations

import enum
from typing import Any

import attr
from labgrid.factory import target_factory
from labgrid.protocol import PowerProtocol
from labgrid.step import step
from labgrid.strategy import Strategy, StrategyError, never_retry


class Status(enum.Enum):
    unknown = 0
    off = 1
    on = 2


@target_factory.reg_driver
@attr.s(eq=False)
class IqosStrategy(Strategy):
    bindings = {"power": {PowerProtocol, None}}  # noqa: RUF012  # labgrid reads the class attribute

    status: Status = attr.ib(default=Status.unknown)

    @never_retry
    @step(args=["status"])
    def transition(self, status: Status | str, *, step: Any) -> None:
        if not isinstance(status, Status):
            status = Status[status]
        if status is Status.unknown:
            raise StrategyError(f"can not transition to {status}")
        if status is self.status:
            step.skip("nothing to do")
            return
        if self.power is not None:
            self.target.activate(self.power)
            if status is Status.off:
                self.power.off()
            elif self.status is Status.off:
                self.power.on()
            else:
                self.power.cycle()
        self.status = status
