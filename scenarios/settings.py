"""Device settings: the device locator (find my device) and haptics."""

from __future__ import annotations

from pytest_bdd import parsers, then, when

from harness.app import App
from iqos.protocol.registers import VibrationSettings
from scenarios.parameters import TYPES

MOMENTS = {
    "heating start": "heating_start",
    "ready": "ready",
    "near end": "near_end",
    "manual end": "manual_end",
}


def _fields(names: list[str]) -> list[str]:
    unknown = [name for name in names if name not in MOMENTS]
    assert not unknown, f"unknown vibration moments {unknown}; known: {', '.join(MOMENTS)}"
    return [MOMENTS[name] for name in names]


@when("the user starts the device locator")
def start_locator(app: App) -> None:
    """Find my device: the device vibrates until told to stop."""
    app.run(app.client().find_my(start=True))


@when("the user stops the device locator")
def stop_locator(app: App) -> None:
    app.run(app.client().find_my(start=False))


@then("the device vibrates")
def vibrates(app: App) -> None:
    """Seen by the target: the simulator's state, or the operator on a bench."""
    assert app.device_is_vibrating(), f"{app.device.label} is not vibrating"


@then("the device stops vibrating")
def stops_vibrating(app: App) -> None:
    assert not app.device_is_vibrating(), f"{app.device.label} is still vibrating"


@when(parsers.parse('the user turns off the vibration for "{moments:Names}"', extra_types=TYPES))
def turn_off(app: App, moments: list[str]) -> None:
    """Reads the haptics settings, turns the named moments off, writes them back."""
    client = app.client()
    current = app.run(client.haptics())
    changes = dict.fromkeys(_fields(moments), False)
    app.run(client.set_haptics(VibrationSettings(**{**current.__dict__, **changes})))


@then(parsers.parse('the device vibrates for "{moments:Names}"', extra_types=TYPES))
def vibrates_for(app: App, moments: list[str]) -> None:
    """Read back from the device, not from what the app wrote."""
    settings = app.haptics()
    off = [
        name
        for name, field in zip(moments, _fields(moments), strict=True)
        if not getattr(settings, field)
    ]
    assert not off, f"vibration is off for {off}: {settings}"


@then(parsers.parse('the device does not vibrate for "{moments:Names}"', extra_types=TYPES))
def does_not_vibrate_for(app: App, moments: list[str]) -> None:
    settings = app.haptics()
    on = [
        name
        for name, field in zip(moments, _fields(moments), strict=True)
        if getattr(settings, field)
    ]
    assert not on, f"vibration is still on for {on}: {settings}"
