"""The catalog of Gherkin steps that scenario writers can use.

pytest-bdd keeps every step definition in a registry as it is imported, but
offers no way to list them (behave has `--format steps.catalog`). This reads
that registry after importing the step modules, so the catalog is always the
code itself, never a hand-kept list.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import dataclass
from pathlib import Path

from pytest_bdd.parsers import StepParser
from pytest_bdd.steps import step_function_context_registry

STEP_PACKAGE = "scenarios"


@dataclass(frozen=True)
class StepDefinition:
    keyword: str
    """given, when, then, or step (any)."""
    pattern: str
    parameters: tuple[str, ...]
    doc: str
    source: str
    """file:line of the step function."""
    parser: StepParser

    def matches(self, keyword: str, text: str) -> bool:
        return self.keyword in (keyword, "step") and self.parser.is_matching(text)


def _import_step_modules() -> None:
    package = importlib.import_module(STEP_PACKAGE)
    for module in pkgutil.walk_packages(package.__path__, f"{STEP_PACKAGE}."):
        importlib.import_module(module.name)


def _parameters(parser: StepParser) -> tuple[str, ...]:
    named = getattr(getattr(parser, "parser", None), "named_fields", None)
    if named is not None:
        return tuple(named)
    regex = getattr(parser, "regex", None)
    return tuple(regex.groupindex) if regex is not None else ()


def _source(function: object, root: Path) -> str:
    target = inspect.unwrap(function)  # type: ignore[arg-type]
    path = Path(inspect.getsourcefile(target) or "?")
    try:
        shown = path.resolve().relative_to(root)
    except ValueError:
        shown = path
    return f"{shown}:{inspect.getsourcelines(target)[1]}"


def load_catalog(root: Path | None = None) -> list[StepDefinition]:
    """Every step definition in the `scenarios` package, sorted by keyword and pattern."""
    _import_step_modules()
    root = (root or Path.cwd()).resolve()
    definitions = {
        (context.type or "step", context.parser.name): StepDefinition(
            keyword=context.type or "step",
            pattern=context.parser.name,
            parameters=_parameters(context.parser),
            doc=inspect.getdoc(context.step_func) or "",
            source=_source(context.step_func, root),
            parser=context.parser,
        )
        for context in list(step_function_context_registry.values())
        if context.step_func.__module__.startswith(f"{STEP_PACKAGE}.")
    }
    order = {"given": 0, "when": 1, "then": 2, "step": 3}
    return sorted(definitions.values(), key=lambda d: (order[d.keyword], d.pattern))
