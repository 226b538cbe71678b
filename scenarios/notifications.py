"""Notifications as the user sees them: a finding as it arises, a heating session's end
and why, an empty holder, and a finding that goes away once its cause is cleared."""

from __future__ import annotations

from pytest_bdd import parsers, then

from harness.app import App, Heard
from iqos.diagnostics import findings
from iqos.protocol import HolderState
from scenarios.parameters import TYPES


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


def _findings_notified(heard: Heard, holders: int) -> list[str]:
    """Every finding a status notification carried, in order, without repeats."""
    codes: list[str] = []
    for status in heard.status:
        codes += [f.code for f in findings(status, holders) if f.code not in codes]
    return codes


def _holder_empty(heard: Heard) -> bool:
    return any(b.holder is not None and b.holder.level == 0 for b in heard.battery) or any(
        s.holder is not None and s.holder.state is HolderState.UNCHARGED for s in heard.status
    )


@then(parsers.parse('the app is notified that the heating session ended with "{reason}"'))
def notified_session_ended(app: App, reason: str) -> None:
    """A status notification carries the last session, ended for this reason (the reasons
    of the diagnostics' last session: "end of profile", "user action", "puff limit")."""
    heard = app.notifications_heard()
    assert app.wait_for(heard, lambda h: reason in _ended_with(h)), (
        f"{app.device.label}: no notification that the session ended with {reason!r}; "
        f"the notifications said {_ended_with(heard) or 'nothing of a session end'}"
    )


@then(parsers.parse('the app is notified of "{finding:Finding}"', extra_types=TYPES))
def notified_of_finding(app: App, finding: str) -> None:
    """A status notification carries the finding (a code of docs/diagnostics.md), without
    the app reading the diagnostics."""
    heard = app.notifications_heard()
    holders = app.device.model.holders
    assert app.wait_for(heard, lambda h: finding in _findings_notified(h, holders)), (
        f"{app.device.label}: no notification of {finding!r}; the notifications said "
        f"{_findings_notified(heard, holders) or 'nothing wrong'}"
    )


@then("the app is notified that the holder battery is empty")
def notified_holder_empty(app: App) -> None:
    """A battery notification with the holder at 0 %, or a status with the holder uncharged."""
    heard = app.notifications_heard()
    assert app.wait_for(heard, _holder_empty), (
        f"{app.device.label}: no notification of an empty holder; heard battery "
        f"{heard.battery} and status {[s.holder for s in heard.status]}"
    )


@then(parsers.parse('the diagnostics no longer report "{finding:Finding}"', extra_types=TYPES))
def no_longer_reports(app: App, finding: str) -> None:
    """Fresh diagnostics, read again: the finding is gone."""
    report = app.last_diagnostics(refresh=True)
    codes = [f.code for f in report.findings]
    assert finding not in codes, f"{app.device.label}: still reports {finding!r}; report: {codes}"
