"""`iqos-hil steps` and `iqos-hil lint`: the tools a scenario writer uses."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from harness.feature_lint import lint
from harness.step_catalog import StepDefinition, load_catalog

DEFAULT_FEATURES = Path("features")


def _keywords(definition: StepDefinition) -> str:
    """Given/When for a step registered under both: the writer may use either."""
    return "/".join(keyword.capitalize() for keyword in definition.keywords)


def _used(definition: StepDefinition, used: set[tuple[str, str]]) -> bool:
    return any((keyword, definition.pattern) in used for keyword in definition.keywords)


def _print_catalog(
    catalog: list[StepDefinition], used: set[tuple[str, str]], as_json: bool
) -> None:
    if as_json:
        print(
            json.dumps(
                [
                    {
                        "keywords": list(d.keywords),
                        "pattern": d.pattern,
                        "parameters": list(d.parameters),
                        "doc": d.doc,
                        "source": d.source,
                        "used": _used(d, used),
                    }
                    for d in catalog
                ],
                indent=2,
            )
        )
        return
    for definition in catalog:
        print(f"{_keywords(definition):5} {definition.pattern}")
        if definition.parameters:
            print(f"      parameters: {', '.join(definition.parameters)}")
        if definition.doc:
            for line in definition.doc.splitlines():
                print(f"      {line}")
        print(f"      at {definition.source}")
    unused = [d for d in catalog if not _used(d, used)]
    print(f"\n{len(catalog)} steps; {len(unused)} used by no feature:")
    for definition in unused:
        print(f"  {_keywords(definition):5} {definition.pattern}  ({definition.source})")


def steps_command(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="iqos-hil steps",
        description="List every step a scenario can use, and the steps no feature uses.",
    )
    parser.add_argument("features", nargs="*", type=Path, default=[DEFAULT_FEATURES])
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    catalog = load_catalog()
    result = lint(args.features, catalog)
    _print_catalog(catalog, result.used, args.json)
    return 0


def lint_command(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="iqos-hil lint",
        description=(
            "Report, with file:line, every step, tag, Examples value or file a feature "
            "gets wrong, and every Then step that does more than look."
        ),
    )
    parser.add_argument("features", nargs="*", type=Path, default=[DEFAULT_FEATURES])
    args = parser.parse_args(argv)
    missing = [path for path in args.features if not path.exists()]
    if missing:
        parser.error(f"no such file or folder: {', '.join(map(str, missing))}")
    result = lint(args.features, load_catalog())
    for problem in result.problems:
        print(problem)
    count = len(result.problems)
    print(f"{count} problem{'s' if count != 1 else ''} in {', '.join(map(str, args.features))}")
    return 1 if count else 0
