"""The step library as a writer sees it: keywords, and model names in steps."""

import re

import pytest

from harness.scenario_tools import steps_command
from harness.step_catalog import StepDefinition, load_catalog
from iqos.models import load_models
from scenarios.parameters import MODEL_SHAPE, UnknownModel, model_called


def find(pattern: str) -> StepDefinition:
    (definition,) = [d for d in load_catalog() if d.pattern == pattern]
    return definition


@pytest.mark.parametrize(
    "pattern",
    [
        "a heating session has started",
        "the user has taken {count:d} puffs",
        "the heating session has ended",
        'the device has the fault "{fault}"',
        "the user locks the device from the app",
        "the user unlocks {device:Device} from the app",
        "the user sets the brightness to {level:Brightness} from the app",
        'the user turns on the vibration for "{moments:Names}"',
        'the user turns off the vibration for "{moments:Names}"',
        "the app sets the device clock to the phone's time",
        "the app reads the usage counters",
        "the user tries to start a heating session",
        "{seconds:d} seconds pass",
    ],
)
def test_a_state_step_reads_after_given_and_after_when(pattern: str) -> None:
    assert find(pattern).keywords == ("given", "when")


def test_the_catalog_shows_both_keywords_once(capsys: pytest.CaptureFixture[str]) -> None:
    steps_command([])
    shown = capsys.readouterr().out.splitlines()
    assert shown.count("Given/When a heating session has started") == 1


def test_every_known_model_has_the_shape_a_step_matches() -> None:
    for model in load_models().values():
        assert re.fullmatch(MODEL_SHAPE, model.display_name), model.display_name


def test_run_time_lookup_of_an_unknown_model_names_the_known_ones() -> None:
    """pytest-bdd finds a step by `is_matching`, which runs the parameter types; the
    error must come through it, not be read as "no such step"."""
    parser = find("an {model:Model} paired with the app").parser
    with pytest.raises(UnknownModel) as raised:
        parser.is_matching("an IQOS 3 Duo paired with the app")
    assert str(raised.value) == (
        "unknown model 'IQOS 3 Duo' (did you mean 'IQOS 3 DUO'?); "
        "known models: IQOS 2.4 Plus, IQOS 3 DUO, IQOS 3 Multi"
    )


def test_a_known_model_is_found_and_a_stranger_gets_no_guess() -> None:
    assert model_called("IQOS 3 Multi").display_name == "IQOS 3 Multi"
    with pytest.raises(UnknownModel, match=r"^unknown model 'Glo Hyper'; known models: "):
        model_called("Glo Hyper")


def matching(keyword: str, text: str) -> list[str]:
    return [d.pattern for d in load_catalog() if d.matches(keyword, text)]


@pytest.mark.parametrize(
    ("keyword", "text", "pattern"),
    [
        (
            "when",
            "the user locks the device from the app",
            "the user locks the device from the app",
        ),
        (
            "when",
            'the user locks "Anna\'s DUO" from the app',
            "the user locks {device:Device} from the app",
        ),
        ("then", "the IQOS 3 DUO is unlocked", "{device:Device} is unlocked"),
        ("then", "the device is unlocked", "the device is unlocked"),
        ("then", "the brightness is low", "the brightness is {level:Brightness}"),
        (
            "then",
            "the brightness of the IQOS 2.4 Plus is high",
            "the brightness of {device:Device} is {level:Brightness}",
        ),
        ("when", "30 seconds pass", "{seconds:d} seconds pass"),
        ("when", "5 minutes pass", "{minutes:d} minutes pass"),
    ],
)
def test_a_device_named_or_not_reaches_exactly_one_step(
    keyword: str, text: str, pattern: str
) -> None:
    """ "the device" and a named device are two steps; no text may match both."""
    assert matching(keyword, text) == [pattern]


def test_a_brightness_the_app_does_not_offer_is_no_step() -> None:
    """High and low are the app's two levels; anything else is a typo for lint to show."""
    assert matching("when", "the user sets the brightness to medium from the app") == []
