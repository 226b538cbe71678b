"""The farm's resources: importing this registers them with labgrid's target_factory,
so that a worker can make them from what the coordinator says a place holds."""

from harness.farm.resources.device import IqosDevice
from harness.farm.resources.hci import HciTcpAdapter, NetworkHciAdapter
from harness.farm.resources.simulator import IqosSimulatorButton, IqosSimulatorPowerPort

__all__ = [
    "HciTcpAdapter",
    "IqosDevice",
    "IqosSimulatorButton",
    "IqosSimulatorPowerPort",
    "NetworkHciAdapter",
]
