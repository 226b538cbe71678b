"""The catalog of Gherkin steps that scenario writers can use.

pytest-bdd keeps every step definition in a registry as it is imported, but
offers no way to list them (behave has `--format steps.catalog`). This reads
that registry after importing the step modules, so the catalog is always the
code itself, never a hand-kept list.

It also reads each step function's code for what it calls, because a Then step
must only look: one that connects, writes or acts on the device changes what the
next step sees, and no reader of the feature would guess it.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import textwrap
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_bdd.parsers import StepParser
from pytest_bdd.steps import step_function_context_registry

from harness.app import is_observation

STEP_PACKAGE = "scenarios"
KEYWORDS = ("given", "when", "then")


@dataclass(frozen=True)
class StepDefinition:
    keywords: tuple[str, ...]
    """The keywords it is registered under: given, when, then (all three for `step`)."""
    pattern: str
    parameters: tuple[str, ...]
    doc: str
    source: str
    """file:line of the step function."""
    parser: StepParser
    acts: tuple[str, ...] = ()
    """Calls in the function that are not observations (see `acting_calls`)."""

    def matches(self, keyword: str, text: str) -> bool:
        return keyword in self.keywords and self.parser.is_matching(text)


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


def _source(function: Callable[..., Any], root: Path) -> str:
    target = inspect.unwrap(function)
    path = Path(inspect.getsourcefile(target) or "?")
    try:
        shown = path.resolve().relative_to(root)
    except ValueError:
        shown = path
    return f"{shown}:{inspect.getsourcelines(target)[1]}"


def _observed_classes(function: Callable[..., Any]) -> dict[str, type]:
    """The parameters whose class marks some methods as observations (the App)."""
    try:
        hints = typing.get_type_hints(function)
    except (NameError, TypeError):
        return {}
    return {
        name: kind
        for name, kind in hints.items()
        if isinstance(kind, type) and any(is_observation(m) for m in vars(kind).values())
    }


def _chain_top(node: ast.expr, parents: dict[ast.AST, ast.AST]) -> ast.expr:
    """The outermost `a.b[c].d` expression that `node` starts."""
    while True:
        parent = parents.get(node)
        if isinstance(parent, ast.Attribute | ast.Subscript) and parent.value is node:
            node = parent
        else:
            return node


def acting_calls(function: Callable[..., Any]) -> tuple[str, ...]:
    """What `function` calls on its App (or any class with observations) besides the
    observations: a method, or anything reached through it (`app.device.hands.act`),
    or the App handed to another function, which could do anything with it."""
    target = inspect.unwrap(function)
    observed = _observed_classes(target)
    if not observed:
        return ()
    tree = ast.parse(textwrap.dedent(inspect.getsource(target)))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found: list[str] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Name) and node.id in observed):
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.keyword):
            parent = parents.get(parent)
        if isinstance(parent, ast.Call) and parent.func is not node:
            found.append(f"{ast.unparse(parent.func)}({node.id})")
            continue
        if not isinstance(parent, ast.Attribute):
            continue
        member = inspect.getattr_static(observed[node.id], parent.attr, None)
        if is_observation(member):
            continue
        if inspect.isfunction(member):
            found.append(f"{node.id}.{parent.attr}")
            continue
        top = _chain_top(parent, parents)
        call = parents.get(top)
        if isinstance(call, ast.Call) and call.func is top:
            found.append(ast.unparse(top))
    return tuple(dict.fromkeys(found))


def load_catalog(root: Path | None = None) -> list[StepDefinition]:
    """Every step definition in the `scenarios` package, sorted by keyword and pattern;
    a function registered under several keywords is one definition."""
    _import_step_modules()
    root = (root or Path.cwd()).resolve()
    keywords: dict[tuple[Callable[..., Any], str], set[str]] = {}
    contexts = {}
    for context in list(step_function_context_registry.values()):
        if not context.step_func.__module__.startswith(f"{STEP_PACKAGE}."):
            continue
        key = (context.step_func, context.parser.name)
        keywords.setdefault(key, set()).update([context.type] if context.type else KEYWORDS)
        contexts[key] = context
    definitions = [
        StepDefinition(
            keywords=tuple(k for k in KEYWORDS if k in keywords[key]),
            pattern=context.parser.name,
            parameters=_parameters(context.parser),
            doc=inspect.getdoc(context.step_func) or "",
            source=_source(context.step_func, root),
            parser=context.parser,
            acts=acting_calls(context.step_func),
        )
        for key, context in contexts.items()
    ]
    return sorted(definitions, key=lambda d: (KEYWORDS.index(d.keywords[0]), d.pattern))
