"""Link faults: the app gives a typed error, then works again once the device does."""

from __future__ import annotations

from pytest_bdd import then, when

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
