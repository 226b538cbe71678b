"""Checks feature files before they run: unknown steps, unknown tags, and outlines
whose examples miss a column, each reported with file:line.

Run by CI (`iqos-hil lint features`) so that a typo in a new scenario fails in
seconds with its location, not minutes later as a pytest-bdd fixture error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pytest_bdd.exceptions import FeatureError
from pytest_bdd.feature import get_features
from pytest_bdd.parser import Feature, ScenarioTemplate, Step

from harness.step_catalog import StepDefinition
from harness.tags import known_tag_problem

_PLACEHOLDER = re.compile(r"<([^<>]+)>")


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class LintResult:
    problems: list[Problem]
    used: set[tuple[str, str]]
    """(keyword, pattern) of every step definition some feature uses."""


def _features(paths: Iterable[Path]) -> tuple[list[Feature], list[Problem]]:
    files = []
    for path in paths:
        files += sorted(path.rglob("*.feature")) if path.is_dir() else [path]
    features, problems = [], []
    for file in files:
        try:
            features += get_features([str(file)])
        except FeatureError as error:
            problems.append(Problem(str(file), getattr(error, "line", 0) or 0, str(error)))
        except Exception as error:
            problems.append(Problem(str(file), 0, f"cannot parse: {error}"))
    return features, problems


def _contexts(scenario: ScenarioTemplate) -> list[dict[str, str]]:
    contexts = [context for examples in scenario.examples for context in examples.as_contexts()]
    return contexts or [{}]


def _check_steps(
    feature: Feature,
    scenario: ScenarioTemplate,
    catalog: list[StepDefinition],
    used: set[tuple[str, str]],
) -> list[Problem]:
    problems = []
    columns = {name for examples in scenario.examples for name in examples.example_params}
    for step in scenario.steps:
        missing = [name for name in _PLACEHOLDER.findall(step.name) if name not in columns]
        if scenario.templated and missing:
            problems.append(
                Problem(
                    feature.rel_filename,
                    step.line_number,
                    f"outline '{scenario.name}' has no Examples column for "
                    + ", ".join(f"<{name}>" for name in missing),
                )
            )
            continue
        for context in _contexts(scenario):
            text = _render(step, context)
            match = next((d for d in catalog if d.matches(step.type, text)), None)
            if match is None:
                problems.append(
                    Problem(
                        feature.rel_filename,
                        step.line_number,
                        f"unknown step: {step.keyword} {text}",
                    )
                )
                break
            used.add((match.keyword, match.pattern))
    return problems


def _render(step: Step, context: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: context.get(m.group(1), m.group(0)), step.name)


def _check_tags(feature: Feature, scenario: ScenarioTemplate | None) -> list[Problem]:
    where = scenario or feature
    tags = set(where.tags)
    if scenario is not None:
        for examples in scenario.examples:
            tags |= examples.tags
    problems = []
    for tag in sorted(tags):
        problem = known_tag_problem(tag)
        if problem:
            problems.append(Problem(feature.rel_filename, where.line_number, problem))
    return problems


def lint(paths: Iterable[Path], catalog: list[StepDefinition]) -> LintResult:
    features, problems = _features(paths)
    used: set[tuple[str, str]] = set()
    if not features and not problems:
        problems.append(Problem(", ".join(map(str, paths)), 0, "no feature files found"))
    for feature in features:
        problems += _check_tags(feature, None)
        for scenario in feature.scenarios.values():
            problems += _check_tags(feature, scenario)
            problems += _check_steps(feature, scenario, catalog, used)
    return LintResult(problems, used)
