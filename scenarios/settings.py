"""Device settings: the device locator (find my device), haptics, the lock and the
brightness. Each setting the app writes is checked by reading it back from the device."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pytest_bdd import given, parsers, then, when

from harness.app import App
from harness.targets.base import DeviceUnderTest
from iqos.protocol import EndOfHeatReason
from iqos.protocol.registers import BRIGHTNESS_HIGH, BRIGHTNESS_LOW, VibrationSettings
from scenarios.parameters import TYPES
from scenarios.several_devices import NAMED

MOMENTS = {
    "heating start": "heating_start",
    "ready": "ready",
    "near end": "near_end",
    "manual end": "manual_end",
}


LEVELS = {"high": BRIGHTNESS_HIGH, "low": BRIGHTNESS_LOW}
"""The two brightness levels the app offers (docs/protocol.md: the levels iqos_cli
writes)."""


class _LevelType:
    """A `parse` type: `high` or `low`; converts to the level the device stores."""

    pattern = "|".join(LEVELS)

    def __call__(self, text: str) -> int:
        return LEVELS[text]


LEVEL: dict[str, Callable[[str], Any]] = {"Brightness": _LevelType(), **NAMED}


def _level_name(level: int) -> str:
    return next((name for name, value in LEVELS.items() if value == level), f"0x{level:02X}")


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


def _vibration(app: App, moments: list[str], on: bool) -> None:
    client = app.client()
    current = app.run(client.haptics())
    changes = dict.fromkeys(_fields(moments), on)
    app.run(client.set_haptics(VibrationSettings(**{**current.__dict__, **changes})))


@given(parsers.parse('the user turns off the vibration for "{moments:Names}"', extra_types=TYPES))
@when(parsers.parse('the user turns off the vibration for "{moments:Names}"', extra_types=TYPES))
def turn_off(app: App, moments: list[str]) -> None:
    """Reads the haptics settings, turns the named moments off, writes them back."""
    _vibration(app, moments, on=False)


@given(parsers.parse('the user turns on the vibration for "{moments:Names}"', extra_types=TYPES))
@when(parsers.parse('the user turns on the vibration for "{moments:Names}"', extra_types=TYPES))
def turn_on(app: App, moments: list[str]) -> None:
    """Reads the haptics settings, turns the named moments on, writes them back; the
    other moments stay as they were."""
    _vibration(app, moments, on=True)


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


# --- lock -----------------------------------------------------------------------------


def _lock(app: App, device: DeviceUnderTest, locked: bool) -> None:
    """The app writes the lock and reads it back, as public clients do."""
    app.run(app.client(device).set_locked(locked))


@given("the user locks the device from the app")
@when("the user locks the device from the app")
def lock(app: App) -> None:
    """A locked device will not heat (the profile's `behaviour.locked_refuses_heating`)."""
    _lock(app, app.device, locked=True)


@given("the user unlocks the device from the app")
@when("the user unlocks the device from the app")
def unlock(app: App) -> None:
    _lock(app, app.device, locked=False)


@given(parsers.parse("the user locks {device:Device} from the app", extra_types=NAMED))
@when(parsers.parse("the user locks {device:Device} from the app", extra_types=NAMED))
def lock_one(app: App, device: str) -> None:
    """That device only; the others keep their lock as it was."""
    _lock(app, app.named(device), locked=True)


@given(parsers.parse("the user unlocks {device:Device} from the app", extra_types=NAMED))
@when(parsers.parse("the user unlocks {device:Device} from the app", extra_types=NAMED))
def unlock_one(app: App, device: str) -> None:
    _lock(app, app.named(device), locked=False)


def _check_lock(device: DeviceUnderTest, read: bool, locked: bool) -> None:
    expected, shown = ("locked", "unlocked") if locked else ("unlocked", "locked")
    assert read == locked, f"{device.label}: expected {expected}, the device reads {shown}"


@then("the device is locked")
def is_locked(app: App) -> None:
    """Read back from the device (its lock register), not from what the app wrote."""
    _check_lock(app.device, app.locked(), locked=True)


@then("the device is unlocked")
def is_unlocked(app: App) -> None:
    """Read back from the device (its lock register), not from what the app wrote."""
    _check_lock(app.device, app.locked(), locked=False)


@then(parsers.parse("{device:Device} is locked", extra_types=NAMED))
def one_is_locked(app: App, device: str) -> None:
    one = app.named(device)
    _check_lock(one, app.locked(one), locked=True)


@then(parsers.parse("{device:Device} is unlocked", extra_types=NAMED))
def one_is_unlocked(app: App, device: str) -> None:
    one = app.named(device)
    _check_lock(one, app.locked(one), locked=False)


@given("the user tries to start a heating session")
@when("the user tries to start a heating session")
def try_heating(app: App) -> None:
    """As "a heating session has started", but the device may refuse (a locked device
    does); a later step asks the device whether it heats."""
    if app.device.model.holders:
        app.run(app.device.hands.act("remove_holder"))
    app.run(app.device.hands.act("try_start_heating"))


@then("the device does not start heating")
def does_not_heat(app: App) -> None:
    """The device's status says whether a session runs: a refused stick leaves none."""
    session = app.status().holder1.last_session
    assert session is None or session.end_reason is not EndOfHeatReason.HEATING_IN_PROGRESS, (
        f"{app.device.label}: expected it not to heat, its status shows a session running"
    )


# --- brightness -----------------------------------------------------------------------


def _set_brightness(app: App, device: DeviceUnderTest, level: int) -> None:
    """One setting for the charger's light and, on a two-piece device, the holder's."""
    app.run(app.client(device).set_brightness(level))


@given(
    parsers.parse(
        "the user sets the brightness to {level:Brightness} from the app", extra_types=LEVEL
    )
)
@when(
    parsers.parse(
        "the user sets the brightness to {level:Brightness} from the app", extra_types=LEVEL
    )
)
def set_brightness(app: App, level: int) -> None:
    """High or low, the two levels the app offers; the charger's light and, on a
    two-piece device, the holder's."""
    _set_brightness(app, app.device, level)


@given(
    parsers.parse(
        "the user sets the brightness of {device:Device} to {level:Brightness} from the app",
        extra_types=LEVEL,
    )
)
@when(
    parsers.parse(
        "the user sets the brightness of {device:Device} to {level:Brightness} from the app",
        extra_types=LEVEL,
    )
)
def set_brightness_of(app: App, device: str, level: int) -> None:
    _set_brightness(app, app.named(device), level)


def _check_brightness(device: DeviceUnderTest, lights: dict[str, int], level: int) -> None:
    wrong = {part: _level_name(value) for part, value in lights.items() if value != level}
    assert not wrong, f"{device.label}: expected {_level_name(level)} brightness, read {wrong}"


@then(parsers.parse("the brightness is {level:Brightness}", extra_types=LEVEL))
def brightness_is(app: App, level: int) -> None:
    """Read back from the charger and, on a two-piece device, from the holder."""
    lights = {"charger": app.brightness()}
    if app.device.model.holders:
        lights["holder"] = app.holder_brightness()
    _check_brightness(app.device, lights, level)


@then(parsers.parse("the brightness of {device:Device} is {level:Brightness}", extra_types=LEVEL))
def brightness_of_is(app: App, device: str, level: int) -> None:
    """Read back from the charger and, on a two-piece device, from the holder."""
    one = app.named(device)
    lights = {"charger": app.brightness(one)}
    if one.model.holders:
        lights["holder"] = app.holder_brightness(one)
    _check_brightness(one, lights, level)
