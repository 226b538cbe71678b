"""One device among several: steps that name the device they act on or look at.

A device is named by its model ("the IQOS 3 DUO"), when the scenario has one of
that model, or by the name its table row gave it, in quotes ("Anna's DUO").
Selecting a device in the app makes every later step about "the device" act on
it or look at it, so each one-device step also works among several.
The name is looked up when the step runs; a model name is checked at once, so
`iqos-hil lint` reports a typo with the names it could have been.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pytest_bdd import given, parsers, then, when

from harness.app import App
from scenarios.parameters import MODEL_SHAPE, model_called


class _DeviceType:
    """A `parse` type: `the <model>` or `"<name>"`; converts to the text to look up."""

    pattern = rf'the {MODEL_SHAPE}|"[^"]+"'

    def __call__(self, text: str) -> str:
        if text.startswith('"'):
            return text[1:-1]
        return model_called(text.removeprefix("the ")).display_name


NAMED: dict[str, Callable[[str], Any]] = {"Device": _DeviceType()}


@given("these devices paired with the app:")
def several_paired(app: App, datatable: list[list[str]]) -> None:
    """One device per row of a table with a `model` column and, optionally, a `name`
    column that later steps use to tell two devices of one model apart. The app pairs
    with each in turn and stays connected to each."""
    header, *rows = datatable
    model_column = header.index("model")
    name_column = header.index("name") if "name" in header else None
    for row in rows:
        device = app.provide(model_called(row[model_column]), pairing_mode=True)
        if name_column is not None and row[name_column]:
            assert row[name_column] not in app.names, f"two devices named {row[name_column]!r}"
            app.names[row[name_column]] = device
        app.pair(device)


@given(parsers.parse("the user selects {device:Device} in the app", extra_types=NAMED))
@when(parsers.parse("the user selects {device:Device} in the app", extra_types=NAMED))
def select(app: App, device: str) -> None:
    """As in the app's list of devices: the steps that follow about "the device" (read
    its diagnostics, reset it, give it a fault) are about this one."""
    app.select(app.named(device))


@when(parsers.parse("the user unpairs {device:Device}", extra_types=NAMED))
def unpair_one(app: App, device: str) -> None:
    """Unpair from that device's settings: the app drops its link and forgets its bond."""
    app.run(app.client(app.named(device)).unpair())


@then(parsers.parse("{device:Device} is still paired", extra_types=NAMED))
def still_paired(app: App, device: str) -> None:
    """The app's keys still encrypt a link to that device."""
    one = app.named(device)
    assert app.is_paired(one), f"{one.label} is no longer paired"


@then(parsers.parse("the app no longer holds a bond for {device:Device}", extra_types=NAMED))
def no_bond_for(app: App, device: str) -> None:
    """An encrypted read of that device is refused; a link opened to try is closed again."""
    one = app.named(device)
    assert not app.is_paired(one), f"{one.label}: expected no bond in the app, it still holds one"


@then(parsers.parse("the app can read the battery of {device:Device}", extra_types=NAMED))
def can_read_battery_of(app: App, device: str) -> None:
    one = app.named(device)
    battery = app.battery(one)
    assert battery.charger is not None and battery.charger.level is not None, (
        f"{one.label}: expected a charger level, the app read {battery}"
    )


@when(parsers.parse("the user starts the locator of {device:Device}", extra_types=NAMED))
def start_locator_of(app: App, device: str) -> None:
    """Find my device, for that device only."""
    app.run(app.client(app.named(device)).find_my(start=True))


@when(parsers.parse("the user stops the locator of {device:Device}", extra_types=NAMED))
def stop_locator_of(app: App, device: str) -> None:
    app.run(app.client(app.named(device)).find_my(start=False))


@then(parsers.parse("only {device:Device} vibrates", extra_types=NAMED))
def only_one_vibrates(app: App, device: str) -> None:
    """That device vibrates and no other device of the scenario does (seen by the target)."""
    one = app.named(device)
    assert app.device_is_vibrating(one), f"{one.label} is not vibrating"
    others = [d.label for d in app.devices if d != one and app.device_is_vibrating(d)]
    assert not others, f"{', '.join(others)} vibrate too; only {one.label} should"


@then("no device vibrates")
def none_vibrates(app: App) -> None:
    vibrating = [d.label for d in app.devices if app.device_is_vibrating(d)]
    assert not vibrating, f"{', '.join(vibrating)} still vibrate"
