"""Battery levels, holder presence and the notifications that report them."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from harness.app import App
from iqos.protocol import HolderState
from scenarios.parameters import TYPES


@then("the app can read the battery")
def can_read_battery(app: App) -> None:
    """The battery frame is readable (needs an encrypted link) and has a charger level."""
    battery = app.battery()
    assert battery.charger is not None and battery.charger.level is not None, (
        f"{app.device.label}: expected a charger level, the app read {battery}"
    )


@then("the app can read the battery of every device")
def can_read_every_battery(app: App) -> None:
    for device in app.devices:
        battery = app.battery(device)
        assert battery.charger is not None, f"{device.label}: {battery}"


@given("the app listens for notifications")
@when("the app listens for notifications")
def listen(app: App) -> None:
    """Subscribes to battery and status notifications and records them."""
    app.listen()


@when(parsers.parse("the charger battery drops to {level:Percent}%", extra_types=TYPES))
def charger_drops(app: App, level: int) -> None:
    """The charger discharges to that level (a fault injection on simulated devices)."""
    app.run(app.device.hands.set_battery("charger", level))


@then(
    parsers.parse("the app is notified of a charger level of {level:Percent}%", extra_types=TYPES)
)
def notified_of_charger_level(app: App, level: int) -> None:
    heard = app.heard[app.device.address]
    assert app.wait_for(
        heard, lambda h: any(b.charger and b.charger.level == level for b in h.battery)
    ), f"no notification of charger {level}%; heard {heard.battery}"


@then(parsers.parse("the app reads a charger level of {level:Percent}%", extra_types=TYPES))
def reads_charger_level(app: App, level: int) -> None:
    battery = app.battery()
    actual = battery.charger.level if battery.charger else None
    assert actual == level, (
        f"{app.device.label}: expected a charger level of {level}%, the app read {actual}%"
    )


@then(parsers.parse("the app reads a holder level of {level:Percent}%", extra_types=TYPES))
def reads_holder_level(app: App, level: int) -> None:
    battery = app.battery()
    actual = battery.holder.level if battery.holder else None
    assert actual == level, (
        f"{app.device.label}: expected a holder level of {level}%, the app read "
        + (f"{actual}%" if battery.holder else "no holder")
    )


@then("the app was not notified of the change")
def not_notified(app: App) -> None:
    """Checked after a read: notifications sent before a read's answer arrive before it,
    so anything not heard by now was dropped. No waiting involved."""
    heard = app.heard[app.device.address]
    assert not heard.battery, (
        f"{app.device.label}: expected no battery notification, the app heard {heard.battery}"
    )


@then("the app is notified that the holder is ready to use")
def notified_holder_ready(app: App) -> None:
    heard = app.heard[app.device.address]
    assert app.wait_for(
        heard,
        lambda h: any(s.holder and s.holder.state is HolderState.READY_TO_USE for s in h.status),
    ), f"no 'holder ready' notification; heard {heard.status}"


@then("the battery shows no holder")
def no_holder(app: App) -> None:
    """Holder status is only available while the holder is in the charger."""
    battery = app.battery()
    assert battery.holder is None, (
        f"{app.device.label}: expected no holder, the battery shows {battery.holder}"
    )


@then("the battery shows a holder")
def a_holder(app: App) -> None:
    battery = app.battery()
    assert battery.holder is not None, (
        f"{app.device.label}: expected a holder, the battery shows none: {battery}"
    )


@given("the device is fully charged")
@when("the device is fully charged")
def fully_charged(app: App) -> None:
    """Charger and holder at 100 %; on a bench the operator charges it beforehand."""
    app.run(app.device.hands.set_battery("charger", 100))
    if app.device.model.holders:
        app.run(app.device.hands.set_battery("holder", 100))


@then(parsers.parse("the app reads {sessions:d} sessions left"))
def sessions_left(app: App, sessions: int) -> None:
    """Sessions left on one charge: of the battery on a one-piece device, of the holder
    (in the charger) on a two-piece one."""
    actual = app.sessions_left()
    assert actual == sessions, (
        f"{app.device.label}: expected {sessions} sessions left, the app read {actual}"
    )


@then("the holder is charging")
def holder_charging(app: App) -> None:
    """The charger reports the holder state only while the holder is in it."""
    status = app.status()
    state = status.holder.state if status.holder else None
    assert state is HolderState.CHARGING, (
        f"{app.device.label}: expected the holder charging, the status shows {state}"
    )
