"""The feature lint finds each kind of mistake, with file:line."""

from pathlib import Path

from pytest_bdd import parsers

from harness.feature_lint import lint
from harness.step_catalog import StepDefinition
from scenarios.parameters import TYPES


def definition(keywords: str, pattern: str) -> StepDefinition:
    parser = parsers.parse(pattern, extra_types=TYPES)
    return StepDefinition(tuple(keywords.split("/")), pattern, (), "", "test:1", parser)


CATALOG = [
    definition("given", "an {model} in pairing mode"),
    definition("given", "an {model:Model} paired with the app"),
    definition("given/when", "a heating session has started"),
    definition("when", "the app scans for devices"),
    definition("then", "the device is offered for pairing"),
    definition("then", "the device vibrates"),
    definition("then", 'the diagnostics no longer report "{finding:Finding}"'),
    definition("then", "nobody uses this"),
]


def write(tmp_path: Path, text: str, name: str = "sample.feature") -> Path:
    path = tmp_path / name
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


OUTLINE = (
    "@pairing\nFeature: F\n  Scenario Outline: S\n    Given an <model> paired with the app\n"
    "    When the app scans for devices\n\n"
    "    Examples:\n      | model |\n      | IQOS 3 DUO |\n      | {row} |\n"
)


def test_a_model_in_the_wrong_case_is_reported_at_its_examples_row(tmp_path: Path) -> None:
    path = write(tmp_path, OUTLINE.format(row="IQOS 3 Duo"))
    (problem,) = lint([path], CATALOG).problems
    assert (problem.path, problem.line) == (str(path), 10)
    assert problem.message == (
        "unknown model 'IQOS 3 Duo' (did you mean 'IQOS 3 DUO'?); known models: "
        "IQOS 2.4 Plus, IQOS 3 DUO, IQOS 3 Multi "
        "(line 4: Given an IQOS 3 Duo paired with the app)"
    )


def test_a_mistyped_model_in_a_step_is_reported_at_the_step(tmp_path: Path) -> None:
    path = write(
        tmp_path, "Feature: F\n  Scenario: S\n    Given an IQOS 3 Mutli paired with the app\n"
    )
    (problem,) = lint([path], CATALOG).problems
    assert problem.line == 3
    assert problem.message.startswith("unknown model 'IQOS 3 Mutli' (did you mean 'IQOS 3 Multi'?)")


def test_a_mistyped_finding_is_reported_not_taken_as_absent(tmp_path: Path) -> None:
    """A finding no diagnostics can report would make "no longer report" pass forever."""
    path = write(
        tmp_path,
        "Feature: F\n  Scenario: S\n    Given an IQOS 3 DUO paired with the app\n"
        '    Then the diagnostics no longer report "Holder_defekt"\n',
    )
    (problem,) = lint([path], CATALOG).problems
    assert problem.line == 4
    assert problem.message == (
        "unknown finding 'Holder_defekt' (did you mean 'holder_defect'?); "
        "the codes are listed in docs/diagnostics.md"
    )


def test_lint_goes_on_after_a_broken_file(tmp_path: Path) -> None:
    write(tmp_path, "Feature: F\n  Scenario: S\n    Given x\n  Scenari T\n", "a.feature")
    write(tmp_path, OUTLINE.format(row="iqos 3 multi"), "b.feature")
    write(tmp_path, "Feature: F\n  Scenario: S\n    When the app sings\n", "c.feature")
    problems = lint([tmp_path], CATALOG).problems
    assert [(Path(p.path).name, p.line) for p in problems] == [
        ("a.feature", 4),
        ("b.feature", 10),
        ("c.feature", 3),
    ]
    assert problems[0].message == (
        "cannot parse 'Scenari T': Unexpected token found. Check Gherkin syntax near the "
        "reported error."
    )
    assert "did you mean 'IQOS 3 Multi'?" in problems[1].message
    assert problems[2].message == "unknown step: When the app sings"


def test_a_file_that_is_not_utf8_is_a_problem_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.feature"
    path.write_bytes("Feature: F\n  Scenario: Café\n".encode("latin-1"))
    (problem,) = lint([path], CATALOG).problems
    assert (problem.line, problem.message) == (2, "not UTF-8 text: invalid continuation byte")


def test_a_model_tag_must_name_a_profile(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Feature: F\n\n  @model:iqos-3-dou\n  Scenario: S\n    When the app scans for devices\n\n"
        "  @model:iqos-3-duo\n  Scenario: T\n    When the app scans for devices\n",
    )
    (problem,) = lint([path], CATALOG, model_keys=frozenset({"iqos-3-duo"})).problems
    assert problem.line == 3
    assert problem.message == (
        "unknown tag @model:iqos-3-dou: models are iqos-3-duo (did you mean @model:iqos-3-duo?)"
    )


def test_a_tag_in_the_wrong_case_gets_a_hint(tmp_path: Path) -> None:
    path = write(
        tmp_path, "@Pairing\nFeature: F\n  Scenario: S\n    When the app scans for devices\n"
    )
    (problem,) = lint([path], CATALOG).problems
    assert problem.line == 1
    assert problem.message.startswith("unknown tag @Pairing: ")
    assert problem.message.endswith("(did you mean @pairing?)")


def test_a_step_under_another_keyword_says_where_it_exists(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Feature: F\n  Scenario: S\n    When a heating session has started\n"
        "    And the device vibrates\n",
    )
    (problem,) = lint([path], CATALOG).problems
    assert problem.line == 4
    assert problem.message == (
        "unknown step: And the device vibrates; it is a When step here, but it exists as a "
        "Then step: write it after Then"
    )


def test_a_step_with_a_typo_gets_the_closest_step(tmp_path: Path) -> None:
    path = write(tmp_path, "Feature: F\n  Scenario: S\n    When the app scan for devices\n")
    (problem,) = lint([path], CATALOG).problems
    assert problem.message == (
        "unknown step: When the app scan for devices (did you mean 'the app scans for devices'?)"
    )


def test_a_step_for_given_and_when_is_used_by_either(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Feature: F\n  Scenario: S\n    Given a heating session has started\n"
        "  Scenario: T\n    When a heating session has started\n",
    )
    result = lint([path], CATALOG)
    assert result.problems == []
    assert {
        ("given", "a heating session has started"),
        ("when", "a heating session has started"),
    } <= result.used


def test_a_model_column_of_a_step_table_names_known_models(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Feature: F\n  Scenario: S\n    When the app scans for devices\n"
        "      | model        |\n      | IQOS 3 Multi |\n      | IQOS 3 Mult  |\n",
    )
    (problem,) = lint([path], CATALOG).problems
    assert (problem.line, problem.message) == (
        6,
        "unknown model 'IQOS 3 Mult' (did you mean 'IQOS 3 Multi'?); known models: "
        "IQOS 2.4 Plus, IQOS 3 DUO, IQOS 3 Multi",
    )
