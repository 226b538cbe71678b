"""Checks feature files before they run, and the Then steps they may use.

Run by CI (`iqos-hil lint features`) so that a typo in a new scenario fails in
seconds with its location, not minutes later as a pytest-bdd fixture error.
Every mistake a scenario writer can make in a .feature file (an unknown step, a
step under the wrong keyword, a value its parameter refuses, an unknown tag, an
outline missing a column, a file that does not parse) is a problem with
file:line and, where one can be guessed, what was meant; never a traceback, and
never the end of the run: the files after a broken one are checked too.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pytest_bdd.exceptions import GherkinParseError
from pytest_bdd.feature import get_features
from pytest_bdd.gherkin_parser import GherkinDocument, Tag, get_gherkin_document
from pytest_bdd.parser import Feature, ScenarioTemplate, Step

from harness.step_catalog import KEYWORDS, StepDefinition
from harness.tags import (
    DOMAIN_TAGS,
    MODEL_PREFIX,
    NEEDS_PREFIX,
    SEVERITIES,
    SEVERITY_PREFIX,
    Ability,
    known_tag_problem,
)
from iqos.models import load_models
from iqos.protocol.model import Capability

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


@dataclass
class _Layout:
    """Where things sit in the file, which pytest-bdd's model forgets: each tag's line,
    by the line of what it tags, and each Examples row's line, by its table's line."""

    tags: dict[tuple[int, str], int] = field(default_factory=dict)
    rows: dict[int, list[int]] = field(default_factory=dict)

    def add_tags(self, owner: int, tags: list[Tag]) -> None:
        for tag in tags:
            self.tags[(owner, tag.name.lstrip("@"))] = tag.location.line

    @classmethod
    def of(cls, document: GherkinDocument) -> _Layout:
        layout = cls()
        feature = document.feature
        layout.add_tags(feature.location.line, feature.tags)
        children = list(feature.children)
        while children:
            child = children.pop()
            if child.rule is not None:
                layout.add_tags(child.rule.location.line, child.rule.tags)
                children += child.rule.children
            scenario = child.scenario
            if scenario is None:
                continue
            layout.add_tags(scenario.location.line, scenario.tags)
            for table in scenario.examples:
                layout.add_tags(table.location.line, table.tags)
                layout.rows[table.location.line] = [
                    row.location.line for row in table.table_body or []
                ]
        return layout


@dataclass(frozen=True)
class _Checker:
    path: str
    layout: _Layout
    catalog: list[StepDefinition]
    known_tags: list[str]
    model_keys: frozenset[str]
    model_names: list[str]

    def tags(self, line: int, tags: set[str]) -> list[Problem]:
        problems = []
        for tag in sorted(tags):
            problem = known_tag_problem(tag, self.model_keys)
            if problem:
                close = _closest(tag, self.known_tags)
                hint = f" (did you mean @{close}?)" if close else ""
                where = self.layout.tags.get((line, tag), line)
                problems.append(Problem(self.path, where, problem + hint))
        return problems

    def scenario(self, scenario: ScenarioTemplate, used: set[tuple[str, str]]) -> list[Problem]:
        problems = self.tags(scenario.line_number, set(scenario.tags))
        for examples in scenario.examples:
            problems += self.tags(examples.line_number or scenario.line_number, examples.tags)
        columns = {name for examples in scenario.examples for name in examples.example_params}
        for step in scenario.steps:
            missing = [name for name in _PLACEHOLDER.findall(step.name) if name not in columns]
            if scenario.templated and missing:
                problems.append(
                    Problem(
                        self.path,
                        step.line_number,
                        f"outline '{scenario.name}' has no Examples column for "
                        + ", ".join(f"<{name}>" for name in missing),
                    )
                )
                continue
            problems += self.step(scenario, step, used)
            problems += self.table(step)
        return problems

    def table(self, step: Step) -> list[Problem]:
        """A `model` column in a step's table names models, as an Examples column does."""
        rows = step.datatable.rows if step.datatable is not None else []
        if not rows:
            return []
        header = [cell.value for cell in rows[0].cells]
        if "model" not in header:
            return []
        column = header.index("model")
        problems = []
        for row in rows[1:]:
            name = row.cells[column].value
            if name not in self.model_names:
                problems.append(
                    Problem(self.path, row.location.line, _unknown_model(name, self.model_names))
                )
        return problems

    def _rows(self, scenario: ScenarioTemplate) -> list[tuple[dict[str, str], int | None]]:
        """Each Examples row as the values it puts in the steps, with its line."""
        rows: list[tuple[dict[str, str], int | None]] = []
        for examples in scenario.examples:
            lines = self.layout.rows.get(examples.line_number or 0, [])
            for index, context in enumerate(examples.as_contexts()):
                rows.append((context, lines[index] if index < len(lines) else None))
        return rows or [({}, None)]

    def step(
        self, scenario: ScenarioTemplate, step: Step, used: set[tuple[str, str]]
    ) -> list[Problem]:
        problems = []
        for context, row_line in self._rows(scenario):
            text = _render(step, context)
            definition, refusal = _match(self.catalog, step.type, text)
            if definition is not None:
                used.add((step.type, definition.pattern))
                continue
            if refusal is None:
                return [Problem(self.path, step.line_number, self._unknown(step, text))]
            on_row = row_line if text != step.name else None
            also = f" (line {step.line_number}: {step.keyword} {text})" if on_row else ""
            problems.append(Problem(self.path, on_row or step.line_number, f"{refusal}{also}"))
        return problems

    def _unknown(self, step: Step, text: str) -> str:
        message = f"unknown step: {step.keyword} {text}"
        elsewhere = [
            keyword
            for keyword in KEYWORDS
            if keyword != step.type and _match(self.catalog, keyword, text) != (None, None)
        ]
        if elsewhere:
            kinds = " or ".join(k.capitalize() for k in elsewhere)
            return (
                f"{message}; it is a {step.type.capitalize()} step here, but it exists "
                f"as a {kinds} step: write it after {kinds}"
            )
        patterns = [d.pattern for d in self.catalog if step.type in d.keywords]
        close = difflib.get_close_matches(text, patterns, n=1, cutoff=0.8)
        return f"{message} (did you mean '{close[0]}'?)" if close else message


def _closest(text: str, known: list[str]) -> str | None:
    """What `text` most likely meant, whatever its case."""
    by_folded = {name.casefold(): name for name in known}
    close = difflib.get_close_matches(text.casefold(), by_folded, n=1)
    return by_folded[close[0]] if close else None


def _unknown_model(name: str, known: list[str]) -> str:
    close = _closest(name, known)
    hint = f" (did you mean {close!r}?)" if close else ""
    return f"unknown model {name!r}{hint}; known models: {', '.join(known)}"


def _render(step: Step, context: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: context.get(m.group(1), m.group(0)), step.name)


def _match(
    catalog: list[StepDefinition], keyword: str, text: str
) -> tuple[StepDefinition | None, str | None]:
    """The definition for this text, or why the definition it was meant for refuses it:
    a parameter type that matched the shape of a value but not the value."""
    for definition in catalog:
        if keyword not in definition.keywords:
            continue
        try:
            if definition.matches(keyword, text):
                return definition, None
        except Exception as error:  # any step's parameter type: its message says what is wrong
            return None, str(error) or type(error).__name__
    return None, None


def _files(paths: Iterable[Path]) -> list[Path]:
    files = []
    for path in paths:
        files += sorted(path.rglob("*.feature")) if path.is_dir() else [path]
    return files


def _parse(file: Path) -> tuple[Feature, _Layout] | Problem:
    try:
        layout = _Layout.of(get_gherkin_document(str(file.resolve())))
        (feature,) = get_features([str(file)])
    except GherkinParseError as error:
        content = error.line_content.strip()
        what = f"cannot parse {content!r}" if content else "cannot parse"
        return Problem(str(file), error.line, f"{what}: {error.message}")
    except UnicodeDecodeError as error:
        line = error.object[: error.start].count(b"\n") + 1
        return Problem(str(file), line, f"not UTF-8 text: {error.reason}")
    except OSError as error:
        return Problem(str(file), 0, f"cannot read: {error.strerror}")
    return feature, layout


def _known_tags(model_keys: frozenset[str]) -> list[str]:
    return sorted(
        DOMAIN_TAGS
        | {f"{NEEDS_PREFIX}{c.value}" for c in Capability}
        | {f"{NEEDS_PREFIX}{a.value}" for a in Ability}
        | {f"{MODEL_PREFIX}{key}" for key in model_keys}
        | {f"{SEVERITY_PREFIX}{severity}" for severity in SEVERITIES}
    )


def _acting_then_steps(catalog: list[StepDefinition]) -> list[Problem]:
    problems = []
    for definition in catalog:
        if "then" in definition.keywords and definition.acts:
            path, _, line = definition.source.rpartition(":")
            problems.append(
                Problem(
                    path,
                    int(line) if line.isdigit() else 0,
                    f"Then step '{definition.pattern}' may change the device or the link: "
                    f"it calls {', '.join(definition.acts)}; a Then step only looks, through "
                    "the App's @observation methods",
                )
            )
    return problems


def lint(
    paths: Iterable[Path],
    catalog: list[StepDefinition],
    model_keys: frozenset[str] | None = None,
) -> LintResult:
    """`model_keys`: the profiles a @model: tag may name (by default, every profile)."""
    models = load_models()
    keys = frozenset(models) if model_keys is None else model_keys
    names = [model.display_name for model in models.values()]
    paths = list(paths)
    files = _files(paths)
    problems = _acting_then_steps(catalog)
    used: set[tuple[str, str]] = set()
    if not files:
        problems.append(Problem(", ".join(map(str, paths)), 0, "no feature files found"))
    for file in files:
        parsed = _parse(file)
        if isinstance(parsed, Problem):
            problems.append(parsed)
            continue
        feature, layout = parsed
        checker = _Checker(str(file), layout, catalog, _known_tags(keys), keys, names)
        found = checker.tags(feature.line_number, set(feature.tags))
        for scenario in feature.scenarios.values():
            found += checker.scenario(scenario, used)
        problems += dict.fromkeys(found)
    return LintResult(problems, used)
