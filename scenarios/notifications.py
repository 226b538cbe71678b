"""Notifications as the user sees them: a heating session's end and why, an empty
holder, and a finding that goes away once its cause is cleared."""

from __future__ import annotations

from pytest_bdd import parsers, then

from harness.app import App, Heard
from iqos.protocol import HolderState


def _reason(name: str) -> str:
    return name.lower().replace("_", " ")


def _ended_with(heard: Heard) -> list[str]:
    """Every end reason the status notifications carried, in order, without repeats."""
    reasons: list[str] = []
    for status in heard.status:
        session = status.holder1.last_session
        if session is not None and _reason(session.end_reason.name) not in reasons:
            reasons.append(_reason(session.end_reason.name))
    return reasons


def _holder_empty(heard: Heard) -> bool:
    return any(b.holder is not None and b.holder.level == 0 for b in heard.battery) or any(
        s.holder is not None and s.holder.state is HolderState.UNCHARGED for s in heard.status
    )


@then(parsers.parse('the app is notified that the heating session ended with "{reason}"'))
def notified_session_ended(app: App, reason: str) -> None:
    """A status notification carries the last session, ended for this reason (the reasons
    of the diagnostics' last session: "end of profile", "user action", "puff limit")."""
    assert app.device.address in app.heard, (
        "the app does not listen: start with 'the app listens for notifications'"
    )
    heard = app.heard[app.device.address]
    assert app.wait_for(heard, lambda h: reason in _ended_with(h)), (
        f"{app.device.label}: no notification that the session ended with {reason!r}; "
        f"the notifications said {_ended_with(heard) or 'nothing of a session end'}"
    )


@then("the app is notified that the holder battery is empty")
def notified_holder_empty(app: App) -> None:
    """A battery notification with the holder at 0 %, or a status with the holder uncharged."""
    assert app.device.address in app.heard, (
        "the app does not listen: start with 'the app listens for notifications'"
    )
    heard = app.heard[app.device.address]
    assert app.wait_for(heard, _holder_empty), (
        f"{app.device.label}: no notification of an empty holder; heard battery "
        f"{heard.battery} and status {[s.holder for s in heard.status]}"
    )


@then(parsers.parse('the diagnostics no longer report "{finding}"'))
def no_longer_reports(app: App, finding: str) -> None:
    """Fresh diagnostics, read again: the finding is gone."""
    report = app.last_diagnostics(refresh=True)
    codes = [f.code for f in report.findings]
    assert finding not in codes, f"{app.device.label}: still reports {finding!r}; report: {codes}"
