"""What the app shows about its link to a device: connected or not."""

from __future__ import annotations

from pytest_bdd import then

from harness.app import App


@then("the app shows the device disconnected")
def shows_disconnected(app: App) -> None:
    """The app holds no link to the device (it was lost or closed); nothing is tried."""
    assert not app.is_connected(), f"{app.device.label}: the app still shows it connected"


@then("the app shows the device connected")
def shows_connected(app: App) -> None:
    assert app.is_connected(), f"{app.device.label}: the app shows it disconnected"
