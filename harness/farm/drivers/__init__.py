"""The farm's drivers: importing this registers them with labgrid's target_factory."""

from harness.farm.drivers.button import DigitalOutputButtonDriver
from harness.farm.drivers.hci import HciAdapterDriver
from harness.farm.drivers.simulator import IqosSimulatorButtonDriver, IqosSimulatorPowerDriver

__all__ = [
    "DigitalOutputButtonDriver",
    "HciAdapterDriver",
    "IqosSimulatorButtonDriver",
    "IqosSimulatorPowerDriver",
]
