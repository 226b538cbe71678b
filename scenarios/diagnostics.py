"""Diagnostics: what the app finds wrong with a device, and what it tells the user to do."""

from __future__ import annotations

from pytest_bdd import parsers, then, when

from harness.app import App
from scenarios.parameters import TYPES


@when("the app reads the diagnostics")
def read_diagnostics(app: App) -> None:
    """One report combining status, errors, warnings, holder, ambient, last session, battery."""
    app.diagnostics()


@then("the diagnostics report a healthy device")
def healthy(app: App) -> None:
    report = app.last_diagnostics()
    assert report.healthy, (
        f"{app.device.label}: expected a healthy device, the diagnostics report "
        f"{[finding.code for finding in report.findings]}"
    )


@then(parsers.parse('the diagnostics report "{finding:Finding}"', extra_types=TYPES))
def reports(app: App, finding: str) -> None:
    """A finding with this code is in the report (codes: see docs/diagnostics.md)."""
    report = app.last_diagnostics(refresh=True)
    codes = [f.code for f in report.findings]
    assert finding in codes, f"{app.device.label}: no {finding!r}; the report has {codes}"


@then(parsers.parse('the finding "{finding:Finding}" has severity "{severity}"', extra_types=TYPES))
def severity(app: App, finding: str, severity: str) -> None:
    found = app.finding(finding)
    assert found.severity.value == severity, (
        f"{app.device.label}: expected {finding} to be {severity!r}, it is {found.severity.value!r}"
    )


@then(parsers.parse('the app advises "{action}"'))
def advises(app: App, action: str) -> None:
    """The action shown to the user, for any finding in the report."""
    actions = [f.action for f in app.last_diagnostics().findings]
    assert action in actions, (
        f"{app.device.label}: expected the advice {action!r}, the app advises {actions}"
    )


@then(parsers.parse('the diagnostics show the last session ended with "{reason}"'))
def last_session_reason(app: App, reason: str) -> None:
    report = app.last_diagnostics(refresh=True)
    session = report.last_session
    assert session is not None, f"{app.device.label}: expected a last session, the report has none"
    ended = session.end_reason.name.lower().replace("_", " ")
    assert ended == reason, (
        f"{app.device.label}: expected the last session to end with {reason!r}, "
        f"it ended with {ended!r}"
    )


@then("the diagnostics show the firmware version and a masked serial number")
def firmware_and_serial(app: App) -> None:
    """Firmware in full; the serial masked, as in every log and report unless asked for."""
    report = app.last_diagnostics(refresh=True)
    assert report.firmware, f"{app.device.label}: expected a firmware version, the report has none"
    assert report.serial and "*" in report.serial, (
        f"{app.device.label}: expected a masked serial number, the report shows {report.serial!r}"
    )
