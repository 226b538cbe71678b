"""Link faults and link loss: the app gives a typed error, shows the device
disconnected, and works again (reconnecting on its own) once the device does."""

from __future__ import annotations

from pytest_bdd import given, then, when

from harness.app import App
from iqos.errors import BadAnswer, Disconnected, OperationTimeout


@when("the app reads the device status")
def read_status(app: App) -> None:
    """A status read that may fail; the error is kept for the next step."""
    app.attempt(app.client().status)


@when("the app reads the firmware version")
def read_firmware(app: App) -> None:
    """An SCP request and its answer on the control point."""
    app.attempt(app.client().firmware_version)


@then("the request succeeds")
def succeeded(app: App) -> None:
    """The answer came, however late: slow is not the same as no answer."""
    assert app.error is None, f"{app.device.label}: expected an answer, got {app.error!r}"


@then("the request fails because the device disconnected")
def failed_disconnected(app: App) -> None:
    assert isinstance(app.error, Disconnected), f"expected a disconnect, got {app.error!r}"


@then("the request fails with a timeout")
def failed_timeout(app: App) -> None:
    assert isinstance(app.error, OperationTimeout), f"expected a timeout, got {app.error!r}"


@then("the request fails with a protocol error")
def failed_protocol(app: App) -> None:
    """A bad checksum or a truncated answer: the client's typed protocol error."""
    assert isinstance(app.error, BadAnswer), f"expected a protocol error, got {app.error!r}"


@then("the app can read the firmware version")
def can_read_firmware(app: App) -> None:
    """The client is still usable: the same request now succeeds."""
    version = app.firmware_version()
    assert version.major or version.minor or version.patch or version.build, (
        f"{app.device.label}: expected a firmware version, the app read {version}"
    )


@then("the app can read the device status")
def can_read_status(app: App) -> None:
    app.status()


@given("the device goes out of range")
@when("the device goes out of range")
def out_of_range(app: App) -> None:
    """The device is carried out of the app's reach: the link is lost without a
    disconnect (a supervision timeout), and the app no longer hears it. On a bench
    the operator takes it about 20 m away, or into a shielded box."""
    app.run(app.device.hands.act("go_out_of_range"))


@given("the device comes back in range")
@when("the device comes back in range")
def back_in_range(app: App) -> None:
    """The device is brought back next to the app, and is heard advertising again."""
    app.run(app.device.hands.act("come_back_in_range"))


@given("the app is restarted")
@when("the app is restarted")
def restart(app: App) -> None:
    """The user closes the app and opens it again: its links and subscriptions go, its
    bonds stay, and it reconnects on its own to the devices it holds a bond for."""
    app.restart()


@then("the app reconnects to the device on its own")
def reconnects_on_its_own(app: App) -> None:
    """Nobody asks the app to connect: it takes the link up again by itself, with its
    bond, once the device is heard (waited for by the app's reconnect deadline)."""
    app.reconnected_on_its_own()


@then("the app still holds a bond for the device")
def still_bonded(app: App) -> None:
    """The app's key store still has the device's keys; only looked at, the link and
    the device's advertising stay as they are."""
    assert app.holds_bond(), f"{app.device.label}: the app no longer holds a bond for it"
