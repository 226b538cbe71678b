"""The holder and heating sessions: physical actions done through the target's hands.

Each reads as a state after Given ("a heating session has started") and as an
event after When, so each is registered under both keywords.
"""

from __future__ import annotations

from pytest_bdd import given, parsers, when

from harness.app import App

SESSION_SECONDS = 6 * 60


@given("the holder is removed from the charger")
@when("the holder is removed from the charger")
def remove_holder(app: App) -> None:
    app.run(app.device.hands.act("remove_holder"))


@given("the holder is inserted into the charger")
@when("the holder is inserted into the charger")
def insert_holder(app: App) -> None:
    app.run(app.device.hands.act("insert_holder"))


@given("a heating session has started")
@when("a heating session has started")
def heating_started(app: App) -> None:
    """A stick is in and heating; on a two-piece device the holder comes out of the charger."""
    if app.device.model.holders:
        app.run(app.device.hands.act("remove_holder"))
    app.run(app.device.hands.act("start_heating"))


@given(parsers.parse("the user has taken {count:d} puffs"))
@when(parsers.parse("the user has taken {count:d} puffs"))
def puffs(app: App, count: int) -> None:
    app.run(app.device.hands.act("puff", count=count))


@given("the heating session has ended")
@when("the heating session has ended")
def heating_ended(app: App) -> None:
    """The full 6 minutes of the heating profile pass."""
    app.run(app.device.hands.pass_time(SESSION_SECONDS))


@when(parsers.parse("the user smokes {count:d} heating sessions"))
def smoke_sessions(app: App, count: int) -> None:
    """Whole sessions back to back, the holder staying out of the charger between them."""
    if app.device.model.holders:
        app.run(app.device.hands.act("remove_holder"))
    for _ in range(count):
        app.run(app.device.hands.act("start_heating"))
        app.run(app.device.hands.pass_time(SESSION_SECONDS))


@given("the user ends the heating session")
@when("the user ends the heating session")
def end_heating(app: App) -> None:
    """Taking the stick out before the profile ends."""
    app.run(app.device.hands.act("end_heating"))
