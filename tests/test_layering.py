"""The arrows point down (../shared/design.md): nothing in `simulator` or `iqos` imports
`harness`, the client stack does not know the simulator, and the two share only
`iqos.protocol`. Read from the source,
every import statement, also those inside functions and under TYPE_CHECKING."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported(source: str) -> Iterator[tuple[int, str]]:
    """Each module an import statement names, with its line."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.lineno, node.module


def imports_of(package: str, forbidden: str) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line}: imports {module}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, module in imported(path.read_text())
        if module == forbidden or module.startswith(f"{forbidden}.")
    ]


@pytest.mark.parametrize("package", ["simulator", "iqos"])
def test_nothing_below_the_harness_imports_it(package: str) -> None:
    assert imports_of(package, "harness") == []


def test_the_client_stack_does_not_know_the_simulator() -> None:
    assert imports_of("iqos", "simulator") == []


def test_the_simulator_shares_only_the_protocol_with_the_client() -> None:
    """`iqos.protocol` has no I/O; the rest of `iqos` is the client the simulator serves."""
    shared = [
        found
        for found in imports_of("simulator", "iqos")
        if not found.endswith(("imports iqos.protocol",)) and " imports iqos.protocol." not in found
    ]
    assert shared == []


def test_the_check_sees_imports_anywhere_in_a_module() -> None:
    source = (
        "import os, harness.cli\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from harness.targets import base\n"
        "def serve():\n"
        "    from harness.bleak_backend import use_link\n"
        "from . import harness\n"
    )
    assert [module for _, module in imported(source) if module.startswith("harness")] == [
        "harness.cli",
        "harness.targets",
        "harness.bleak_backend",
    ]
