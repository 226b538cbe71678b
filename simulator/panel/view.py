"""What the page draws for a device: its state through the control API, and its lights.

The state comes from `Control.handle`, the same answer `iqos-sim state` prints,
so the page can never show a device other than the socket does. The lights are
the panel's own reading of the device's status frame: no profile says how a
device lights up, so `docs/panel.md` lists the rules below as assumptions.
"""

from __future__ import annotations

from typing import Any

from iqos.protocol import AmbientState, HolderConnection, HolderState
from simulator.control import Control, faults_for
from simulator.device import LOW_BATTERY_PERCENT, PUFF_LIMIT, SESSION_SECONDS, SimulatedDevice
from simulator.faults import CATALOGUE, Kind
from simulator.panel.traffic import GattTap

CHARGER_SEGMENTS = 4
GROUP_TITLES = {
    Kind.STATUS: "Status faults: what the battery and status frames report",
    Kind.LINK: "Link faults: how the device behaves on the link (a reset keeps them)",
}


def fault_groups(control: Control) -> list[dict[str, Any]]:
    """The catalogue by kind, as `iqos-sim faults` prints it, with the descriptions
    the control API gives."""
    described = control.handle({"op": "faults"})
    return [
        {
            "kind": str(kind),
            "title": title,
            "faults": [
                {"name": name, "description": described[name]}
                for name in sorted(described)
                if CATALOGUE[name].kind is kind
            ],
        }
        for kind, title in GROUP_TITLES.items()
    ]


def describe(device: SimulatedDevice, tap: GattTap | None) -> dict[str, Any]:
    """What does not change while the device runs."""
    return {
        "name": device.name,
        "address": device.address,
        "model": device.model,
        "model_key": device.profile.key,
        "has_holder": device.holder is not None,
        "faults": faults_for(device.profile),
        "session_seconds": SESSION_SECONDS,
        "puff_limit": PUFF_LIMIT,
        "traffic": tap is not None,
    }


def view(control: Control, device: SimulatedDevice, tap: GattTap | None) -> dict[str, Any]:
    """What changes: `centrals` is None where the radio cannot tell (BlueZ)."""
    centrals = None if tap is None else list(tap.centrals.values())
    return {
        "address": device.address,
        "state": control.handle({"op": "state", "device": device.address}),
        "lights": lights(device, connected=bool(centrals)),
        "centrals": None
        if centrals is None
        else [{"address": c.address, "encrypted": c.encrypted} for c in centrals],
    }


def lights(device: SimulatedDevice, connected: bool) -> dict[str, Any]:
    """The lights and the motor, as a person holding the device would see them."""
    level = device.charger.level
    return {
        "charger_segments": -(-level * CHARGER_SEGMENTS // 100),
        "charger_low": level < LOW_BATTERY_PERCENT,
        "holder": _holder_light(device),
        "status": _status_light(device),
        "bluetooth": _bluetooth_light(device, connected),
        "vibrating": device.vibrating,
        "heating": device.heating is not None,
    }


def _holder_light(device: SimulatedDevice) -> str:
    """One white light on the holder (the body of a one-piece device)."""
    if device.heating is not None:
        return "heating"
    state = device.holder_state()
    if state is HolderState.CHARGING:
        return "pulse"
    if state is HolderState.CLEANING:
        return "blink"
    if state is HolderState.UNPLUGGED:
        return "steady" if device.holder_level() > 0 else "off"
    return "steady" if state is HolderState.READY_TO_USE else "off"


def _bluetooth_light(device: SimulatedDevice, connected: bool) -> str:
    """Blinking while it waits to pair, steady while a phone is connected."""
    if connected:
        return "steady"
    return "blink" if device.pairing_mode else "off"


def _status_light(device: SimulatedDevice) -> str:
    """Red for what needs service or a reset, orange for what the user can fix."""
    status = device.status()
    charger, holder, record = status.charger, status.holder, status.holder1
    if (
        device.error_code()
        or (charger is not None and charger.defect)
        or (holder is not None and (holder.defect or holder.connection != HolderConnection.FULL))
        or record.system_error
    ):
        return "error"
    ambient = status.ambient
    if (
        (ambient is not None and ambient.holder != AmbientState.OK)
        or record.warning
        or (holder is not None and holder.state is HolderState.CLEANING)
        or (charger is not None and charger.low_battery)
    ):
        return "warning"
    return "off"
