"""A Then step only looks: the lint reports one that may change the device or the link."""

from pathlib import Path

from pytest_bdd import parsers

from harness.app import App
from harness.feature_lint import lint
from harness.step_catalog import StepDefinition, acting_calls, load_catalog


def reconnects(app: App) -> None:
    assert not app.run(app.client().is_paired())


def acts_through_its_hands(app: App) -> None:
    app.run(app.device.hands.act("remove_holder"))


def hands_the_app_on(app: App) -> None:
    assert _helper(app=app)


def _helper(app: App) -> bool:
    return app.is_paired()


def keeps_the_app_method(app: App) -> None:
    pair = app.pair
    pair()


def only_looks(app: App) -> None:
    """Observations, and the app's data: the last error, the device's name."""
    assert app.is_paired(), f"{app.device.label} is not paired; last error {app.error}"
    heard = app.heard[app.device.address]
    assert app.wait_for(heard, lambda h: bool(h.battery))


def test_calls_that_are_not_observations_are_named() -> None:
    assert acting_calls(reconnects) == ("app.run", "app.client")
    assert acting_calls(acts_through_its_hands) == ("app.run", "app.device.hands.act")
    assert acting_calls(hands_the_app_on) == ("_helper(app)",)
    assert acting_calls(keeps_the_app_method) == ("app.pair",)


def test_observations_and_data_are_not_acting() -> None:
    assert acting_calls(only_looks) == ()


def test_no_then_step_of_the_library_acts() -> None:
    acting = [
        (d.pattern, d.source, d.acts) for d in load_catalog() if "then" in d.keywords and d.acts
    ]
    assert acting == []


def test_lint_reports_an_acting_then_step_at_its_source(tmp_path: Path) -> None:
    pattern = "the app no longer holds a bond for the device"
    definition = StepDefinition(
        ("then",),
        pattern,
        (),
        "",
        "scenarios/pairing.py:140",
        parsers.parse(pattern),
        acts=acting_calls(reconnects),
    )
    (tmp_path / "f.feature").write_text(f"Feature: F\n  Scenario: S\n    Then {pattern}\n")
    (problem,) = lint([tmp_path], [definition]).problems
    assert (problem.path, problem.line) == ("scenarios/pairing.py", 140)
    assert problem.message == (
        f"Then step '{pattern}' may change the device or the link: it calls app.run, "
        "app.client; a Then step only looks, through the App's @observation methods"
    )


def test_a_step_for_any_keyword_must_also_only_look(tmp_path: Path) -> None:
    """pytest-bdd's `step` binds under Then too, wherever a feature uses it."""
    definition = StepDefinition(
        ("given", "when", "then"),
        "the device is paired",
        (),
        "",
        "scenarios/x.py:7",
        parsers.parse("the device is paired"),
        acts=("app.pair",),
    )
    (tmp_path / "f.feature").write_text(
        "Feature: F\n  Scenario: S\n    Given the device is paired\n"
    )
    (problem,) = lint([tmp_path], [definition]).problems
    assert problem.line == 7 and "it calls app.pair;" in problem.message
