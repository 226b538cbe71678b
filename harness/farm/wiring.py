"""Which driver works each thing a place may have wired, as `labgrid-client power` and
`labgrid-client io` choose one: by the resource's class.

A place needs its BLE adapter (`HciTcpAdapter` on the exporter) and its device
(`IqosDevice`). Its power may be any power resource labgrid drives; its button
is the digital output the place names `button` (a relay across the contacts),
or the simulator's button. Whatever is not wired is left to the operator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labgrid.factory import target_factory
from labgrid.resource.common import Resource
from labgrid.target import Target

from harness.farm import drivers as drivers  # registers the farm's drivers with labgrid
from harness.farm.protocols import ButtonProtocol
from harness.farm.resources import IqosDevice, NetworkHciAdapter
from harness.farm.strategy import IqosStrategy

POWER_DRIVERS = {
    "NetworkPowerPort": "NetworkPowerDriver",
    "NetworkUSBPowerPort": "USBPowerDriver",
    "NetworkYKUSHPowerPort": "YKUSHPowerDriver",
    "NetworkSiSPMPowerPort": "SiSPMPowerDriver",
    "PDUDaemonPort": "PDUDaemonDriver",
    "TasmotaPowerPort": "TasmotaPowerDriver",
    "IqosSimulatorPowerPort": "IqosSimulatorPowerDriver",
}
OUTPUT_DRIVERS = {
    "ModbusTCPCoil": "ModbusCoilDriver",
    "HttpDigitalOutput": "HttpDigitalOutputDriver",
    "NetworkSysfsGPIO": "GpioDigitalOutputDriver",
    "NetworkDeditecRelais8": "DeditecRelaisDriver",
    "NetworkHIDRelay": "HIDRelayDriver",
}
BUTTON = "button"
"""The name a place gives the digital output wired across its device's button."""


class WiringError(RuntimeError):
    """The place lacks what every place needs; the message says what and where."""


@dataclass
class Wiring:
    adapter: Any
    """The HciAdapterDriver of the place's adapter."""
    device: IqosDevice
    strategy: IqosStrategy
    button: ButtonProtocol | None
    power: Any
    """A PowerProtocol driver, or None where the power is not wired."""


def wire(target: Target) -> Wiring:
    """Drivers for what the place's resources offer, activated."""
    unavailable = [resource.name for resource in target.resources if not resource.avail]
    if unavailable:
        raise WiringError(
            f"place {target.name}: {', '.join(unavailable)} not available on the exporter"
        )
    adapter = _driver(target, "HciAdapterDriver", _one(target, NetworkHciAdapter, "HciTcpAdapter"))
    device = _one(target, IqosDevice, "IqosDevice")
    power = next(
        (
            _driver(target, POWER_DRIVERS[type(resource).__name__], resource)
            for resource in target.resources
            if type(resource).__name__ in POWER_DRIVERS
        ),
        None,
    )
    strategy = IqosStrategy(target, "strategy")  # type: ignore[call-arg]
    return Wiring(adapter, device, strategy, _button(target), power)


def _button(target: Target) -> ButtonProtocol | None:
    for resource in target.resources:
        kind = type(resource).__name__
        if kind == "IqosSimulatorButton":
            return _driver(target, "IqosSimulatorButtonDriver", resource)  # type: ignore[no-any-return]
        if resource.name == BUTTON and kind in OUTPUT_DRIVERS:
            _driver(target, OUTPUT_DRIVERS[kind], resource)
            return _driver(target, "DigitalOutputButtonDriver", resource)  # type: ignore[no-any-return]
    return None


def _one(target: Target, kind: type[Resource], configured_as: str) -> Any:
    found = [resource for resource in target.resources if isinstance(resource, kind)]
    if len(found) != 1:
        raise WiringError(
            f"place {target.name} has {len(found)} {kind.__name__} resources, needs one "
            f"(a {configured_as} on its exporter; docs/bench-farm.md)"
        )
    return found[0]


def _driver(target: Target, name: str, supplier: Resource) -> Any:
    """A driver bound to `supplier` by name: a place may hold several of a kind."""
    kind = target_factory.class_from_string(name)
    (binding,) = kind.bindings
    target.set_binding_map({binding: supplier.name})
    driver = kind(target, name=supplier.name)
    target.activate(driver)
    return driver
