"""Pairing: pairing mode, discovery, pairing, bonds, unpairing."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from harness.app import App
from iqos.errors import NotAdvertising
from iqos.protocol import PairingState
from iqos.protocol.model import ModelSpec
from scenarios.parameters import TYPES, model_called


@given(parsers.parse("an {model:Model} in pairing mode", extra_types=TYPES))
def device_in_pairing_mode(app: App, model: ModelSpec) -> None:
    """A fresh device of that model, unbonded and advertising that it can be paired."""
    app.provide(model, pairing_mode=True)


@given(parsers.parse("an {model:Model} that is not in pairing mode", extra_types=TYPES))
def device_not_in_pairing_mode(app: App, model: ModelSpec) -> None:
    """A device that is on but whose Bluetooth pairing mode is off."""
    app.provide(model, pairing_mode=False)


@given(parsers.parse("an {model:Model} paired with the app", extra_types=TYPES))
def paired_device(app: App, model: ModelSpec) -> None:
    """A device the app has already paired with and is connected to."""
    app.provide(model, pairing_mode=True)
    app.pair()


@given("these devices in pairing mode:")
def several_devices(app: App, datatable: list[list[str]]) -> None:
    """Several devices at once, one per row of a table with a `model` column."""
    header, *rows = datatable
    column = header.index("model")
    for row in rows:
        app.provide(model_called(row[column]), pairing_mode=True)


@when("the app scans for devices")
def scan(app: App) -> None:
    """The app looks for IQOS devices nearby, as its pairing screen does."""
    app.scan()


@then(parsers.parse("the device is offered for pairing as an {model:Model}", extra_types=TYPES))
def offered_as(app: App, model: ModelSpec) -> None:
    """The scan found the device, in pairing mode, and recognised its model."""
    found = next((d for d in app.found if d.address == app.device.address), None)
    assert found is not None, f"{app.device.label} was not found; the scan saw {app.found}"
    assert found.pairing_state is PairingState.PAIRING_MODE, f"{found} is not in pairing mode"
    assert found.model is not None and found.model.key == model.key, (
        f"{app.device.label} was offered as {found.model}, not {model.display_name}"
    )


@then("the device is not offered for pairing")
def not_offered(app: App) -> None:
    """A device out of pairing mode may be seen, but never offered for pairing."""
    offered = [
        d
        for d in app.found
        if d.address == app.device.address and d.pairing_state is PairingState.PAIRING_MODE
    ]
    assert not offered, f"{app.device.label} was offered for pairing: {offered}"


@when("the user pairs with the device")
def pair(app: App) -> None:
    """The app pairs (Just Works) and keeps the bond."""
    app.pair()


@when("the user tries to pair with the device")
def try_to_pair(app: App) -> None:
    """Like pairing, but a failure is kept for a later step to check."""
    app.attempt(app.client().pair)


@when("the user pairs with every device")
def pair_every(app: App) -> None:
    """Pairs each device in turn, all on one client adapter."""
    for device in app.devices:
        app.pair(device)


@then("the device is paired")
def is_paired(app: App) -> None:
    """The app holds a bond with the device: its keys encrypt the link."""
    assert app.is_paired(), f"{app.device.label} is not paired"


@then("every device is paired")
def every_paired(app: App) -> None:
    """Each device provided in this scenario is paired to this one app."""
    unpaired = [d.label for d in app.devices if not app.is_paired(d)]
    assert not unpaired, f"not paired: {', '.join(unpaired)}"


@then(parsers.parse('pairing fails with "{reason}"'))
def pairing_fails(app: App, reason: str) -> None:
    """The last attempt raised the client's typed error with this meaning."""
    assert app.error is not None, (
        f"{app.device.label}: expected pairing to fail with {reason!r}, it succeeded"
    )
    assert app.error.reason == reason, (
        f"{app.device.label}: expected pairing to fail with {reason!r}, "
        f"it failed with {app.error.reason!r}: {app.error}"
    )


@then("the device advertises that it is bonded")
def advertises_bonded(app: App) -> None:
    """The advertising state byte says bonded (0x00); seen only while the app holds no
    link, as a connected device does not advertise."""
    state = app.advertised_state()
    assert state is PairingState.BONDED, (
        f"{app.device.label}: expected it to advertise that it is bonded, it advertises {state}"
    )


@then("the device advertises that it is in pairing mode")
def advertises_pairing_mode(app: App) -> None:
    """The advertising state byte says unbonded, pairing mode (0x01)."""
    state = app.advertised_state()
    assert state is PairingState.PAIRING_MODE, (
        f"{app.device.label}: expected it to advertise pairing mode, it advertises {state}"
    )


@when("the user unpairs the device")
def unpair(app: App) -> None:
    """Unpair from the device settings: the app drops the link and forgets the bond."""
    app.run(app.client().unpair())


@when("the app forgets the device")
def forget(app: App) -> None:
    """The app drops its own bond (as after the device was reset behind its back)."""
    app.run(app.client().unpair())


@then("the app no longer holds a bond for the device")
def no_bond(app: App) -> None:
    """The app has no keys for the device: an encrypted read is refused. A link opened
    to try is closed again, so the device advertises for the steps that follow."""
    assert not app.is_paired(), (
        f"{app.device.label}: expected no bond in the app, the app still holds one"
    )


@when("the user puts the device in pairing mode")
def enter_pairing_mode(app: App) -> None:
    """A physical action: on a bench the operator does it."""
    app.run(app.device.hands.act("enter_pairing_mode"))


@given("the app disconnects from the device")
@when("the app disconnects from the device")
def disconnect(app: App) -> None:
    """The app closes the link on purpose (not a link loss)."""
    app.run(app.client().disconnect())


@given("the app connects to the device again")
@when("the app connects to the device again")
def reconnect(app: App) -> None:
    """A bonded reconnect: the link is encrypted again with the stored keys."""
    app.run(app.client().connect())


@when("the device stops advertising after its window")
def advertising_ends(app: App) -> None:
    """Time passes with the device left alone until its advertising window closes; on
    a bench the operator waits for it."""
    app.run(app.device.hands.act("let_advertising_end"))


@when("the user presses the button")
def press_button(app: App) -> None:
    """A short press: it wakes the device's Bluetooth, and resets nothing."""
    app.run(app.device.hands.act("hold_button", seconds=1))


@when("the user tries to connect to the device")
def try_to_connect(app: App) -> None:
    """A connect that may fail; the error is kept for a later step."""
    app.attempt(app.client().connect)


@then("the app tells the user to press the button of the device")
def told_to_press_the_button(app: App) -> None:
    """No hang and no generic timeout: a device past its advertising window gives the
    client's typed "not advertising" error, whose advice is a button press."""
    assert isinstance(app.error, NotAdvertising), (
        f"{app.device.label}: expected 'not advertising', got {app.error!r}"
    )
    assert NotAdvertising.advice in str(app.error), str(app.error)
