"""The feature lint finds each kind of mistake, with file:line."""

from pathlib import Path

from pytest_bdd import parsers

from harness.feature_lint import lint
from harness.step_catalog import StepDefinition


def definition(keyword: str, pattern: str) -> StepDefinition:
    return StepDefinition(keyword, pattern, (), "", "test:1", parsers.parse(pattern))


CATALOG = [
    definition("given", "an {model} in pairing mode"),
    definition("when", "the app scans for devices"),
    definition("then", "the device is offered for pairing"),
    definition("then", "nobody uses this"),
]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sample.feature"
    path.write_text(text)
    return path


def test_a_clean_feature_has_no_problems_and_marks_used_steps(tmp_path: Path) -> None:
    write(
        tmp_path,
        "@pairing\nFeature: F\n  Scenario Outline: S\n    Given an <model> in pairing mode\n"
        "    When the app scans for devices\n    Then the device is offered for pairing\n\n"
        "    Examples:\n      | model |\n      | IQOS 3 DUO |\n",
    )
    result = lint([tmp_path], CATALOG)
    assert result.problems == []
    assert ("then", "nobody uses this") not in result.used
    assert ("given", "an {model} in pairing mode") in result.used


def test_unknown_step_is_reported_with_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Feature: F\n  Scenario: S\n    Given an IQOS 3 DUO in pairing mode\n"
        "    When the app sings\n",
    )
    (problem,) = lint([path], CATALOG).problems
    assert problem.line == 4
    assert problem.path.endswith("sample.feature")
    assert "unknown step: When the app sings" in str(problem)


def test_and_takes_the_keyword_before_it(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Feature: F\n  Scenario: S\n    When the app scans for devices\n"
        "    And the device is offered for pairing\n",
    )
    (problem,) = lint([path], CATALOG).problems
    assert "unknown step: And the device is offered for pairing" in str(problem)


def test_unknown_tags_are_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "@pairing @flaky\nFeature: F\n  @needs:teleport\n  Scenario: S\n"
        "    When the app scans for devices\n",
    )
    messages = [p.message for p in lint([path], CATALOG).problems]
    assert any("unknown tag @flaky" in m for m in messages)
    assert any("unknown tag @needs:teleport" in m for m in messages)


def test_outline_missing_an_examples_column(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Feature: F\n  Scenario Outline: S\n    Given an <model> in pairing mode\n\n"
        "    Examples:\n      | colour |\n      | red |\n",
    )
    (problem,) = lint([path], CATALOG).problems
    assert problem.line == 3
    assert "no Examples column for <model>" in problem.message


def test_a_broken_feature_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = write(
        tmp_path, "Feature: F\n  Scenario: S\n    Given x\n  | not a table\n  Examples: |\n"
    )
    problems = lint([path], CATALOG).problems
    assert problems and problems[0].path.endswith("sample.feature")


def test_no_features_at_all_is_a_problem(tmp_path: Path) -> None:
    (problem,) = lint([tmp_path], CATALOG).problems
    assert "no feature files found" in problem.message
