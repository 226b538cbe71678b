"""Reset from the app and by the button, and what a reset leaves behind."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from harness.app import App


@given(parsers.parse('the device has the fault "{fault}"'))
@when(parsers.parse('the device has the fault "{fault}"'))
def has_fault(app: App, fault: str) -> None:
    """Sets a fault from the simulator's catalogue (`iqos-sim faults`) on the device."""
    app.run(app.device.hands.inject(fault))


@when(parsers.parse('the fault "{fault}" is cleared'))
def fault_cleared(app: App, fault: str) -> None:
    """The device behaves again."""
    app.run(app.device.hands.clear(fault))


@when("the user resets the device from the app")
def reset_from_app(app: App) -> None:
    """The app's reset command; the device drops its bonds and the link."""
    app.run(app.client().reset())


@when(parsers.parse("the button is held for {seconds:d} seconds"))
def hold_button(app: App, seconds: int) -> None:
    """A physical press of the device's button; about 10 seconds resets it."""
    app.run(app.device.hands.act("hold_button", seconds=seconds))


@then("the device has no errors or warnings")
def no_errors(app: App) -> None:
    """Fresh diagnostics find no error or warning. The status needs an encrypted link,
    so after a reset the scenario pairs again first, as a user would."""
    report = app.last_diagnostics(refresh=True)
    problems = [f for f in report.findings if f.severity.value in ("error", "warning")]
    assert not problems, f"{app.device.label} still reports {problems}"


@then("the device has no bonds")
def no_bonds(app: App) -> None:
    """The device forgot every bond: it advertises pairing mode and, where the target can
    see inside it, holds no keys."""
    app.assert_device_has_no_bonds()


@then(parsers.parse('the last session ended with "{reason}" after {puffs:d} puffs'))
def last_session_ended(app: App, reason: str, puffs: int) -> None:
    """The last-session record says why and when it ended; it survives a reset."""
    session = app.last_session()
    assert session is not None, f"{app.device.label}: expected a last session, it reports none"
    ended = session.end_reason.name.lower().replace("_", " ")
    assert (ended, session.puff_count) == (reason, puffs), (
        f"{app.device.label}: expected the last session to end with {reason!r} after "
        f"{puffs} puffs, it ended with {ended!r} after {session.puff_count}"
    )
