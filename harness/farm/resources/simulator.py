"""Power and button of a simulated device, wired to its simulator's control socket.

A farm of simulated devices is exported as if it were hardware: the simulator's
control socket (`iqos-sim serve --socket`) stands where a bench has a power
switch and a relay across the button. The socket is a path on the exporter's
host, so a worker that drives these runs there.
"""

from __future__ import annotations

import attr
from labgrid.factory import target_factory
from labgrid.resource.common import Resource


@attr.s(eq=False)
class SimulatorPort(Resource):
    socket: str = attr.ib(validator=attr.validators.instance_of(str))
    """The control socket of the `iqos-sim serve` that serves the device."""
    device: str = attr.ib(validator=attr.validators.instance_of(str))
    """The device's name or address there."""


@target_factory.reg_resource
@attr.s(eq=False)
class IqosSimulatorPowerPort(SimulatorPort):
    """The device's power: on, the device is on the air; off, it is gone."""


@target_factory.reg_resource
@attr.s(eq=False)
class IqosSimulatorButton(SimulatorPort):
    """The device's button, held on the simulator's clock."""
