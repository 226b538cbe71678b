"""The docs against the code: a reader who copies a command, a bench file or a
finding code from them gets one that exists.

Checked without devices: generated docs are current, shipped and documented
bench files load through the real loaders, and every command in README.md and
docs/*.md names paths, modules, jobs, tox envs, -k expressions and CLI arguments
that exist or parse.
"""

from __future__ import annotations

import argparse
import asyncio
import configparser
import contextlib
import importlib.util
import io
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from _pytest.mark.expression import Expression

from harness.bench import load_bench
from harness.cli import _parser as iqos_hil_parser
from harness.operator import ScriptedOperator, load_operator
from harness.targets.hardware import HardwareTarget
from iqos.diagnostics import FINDINGS
from iqos.diagnostics_doc import COMMAND, render
from simulator.cli import _parser as iqos_sim_parser

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BENCHES = sorted((ROOT / "fixtures" / "benches").glob("*.yaml"))
SHELL_LANGUAGES = frozenset({"sh", "bash", "shell", "console"})
PRODUCED = (".venv/", ".tox/", "reports/")
"""Folders that run.py and tox make, so a command may name what is not checked in."""
OPERATOR_KEYS = frozenset({"answers", "default", "simulator"})
PLACEHOLDER = re.compile(r"\.\.\.|(^|/)[A-Z][A-Z_]*(\.\w+)?(/|$)")
"""`tests/...`, `fixtures/benches/FILE.yaml`: the reader fills these in."""
_FENCE = re.compile(r"^\s*```\s*(\w*)")
_ASSIGNMENT = re.compile(r"^[A-Za-z_]\w*=")
_INLINE = re.compile(r"`([^`\n]+(?:\n[^`\n]+)?)`")


# -- generated docs and citations ------------------------------------------------


def test_diagnostics_doc_is_what_the_generator_writes() -> None:
    checked_in = (ROOT / "docs" / "diagnostics.md").read_text()
    assert checked_in == render(), (
        f"docs/diagnostics.md differs from the finding catalogue; regenerate it: `{COMMAND}`"
    )


def test_each_finding_code_names_one_kind() -> None:
    codes = [kind.code for kind in FINDINGS]
    assert len(codes) == len(set(codes)), sorted(c for c in set(codes) if codes.count(c) > 1)


def test_the_docs_the_code_cites_exist() -> None:
    """Step docstrings reach QA through `iqos-hil steps`; a dead citation there misleads."""
    cited = {
        f"{path.relative_to(ROOT)}: {doc}"
        for package in ("iqos", "harness", "simulator", "scenarios")
        for path in (ROOT / package).rglob("*.py")
        for doc in re.findall(r"docs/[\w.-]+\.md", path.read_text())
        if not (ROOT / doc).exists()
    }
    assert not cited, "cited but missing:\n" + "\n".join(sorted(cited))


# -- bench files -------------------------------------------------------------------


def _load_bench_as_the_target_does(path: Path) -> None:
    """The bench loader, then the hardware target's own check of `cannot`."""
    asyncio.run(HardwareTarget(load_bench(path), ScriptedOperator({}, "done")).start())


def _yaml_blocks(path: Path) -> list[tuple[int, str]]:
    blocks: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    language: str | None = None
    for number, line in enumerate(path.read_text().splitlines(keepends=True), 1):
        fence = _FENCE.match(line)
        if fence and language is None:
            language, start, current = fence.group(1), number, []
        elif fence:
            if language == "yaml":
                blocks.append((start, "".join(current)))
            language = None
        elif language is not None:
            current.append(line)
    return blocks


@pytest.mark.parametrize("path", BENCHES, ids=lambda path: path.name)
def test_shipped_bench_loads(path: Path) -> None:
    _load_bench_as_the_target_does(path)


def test_bench_doc_shows_the_lab_bench_verbatim() -> None:
    lab = (ROOT / "fixtures" / "benches" / "lab.yaml").read_text()
    assert lab in [text for _, text in _yaml_blocks(ROOT / "docs" / "bench.md")]


def test_bench_doc_examples_load(tmp_path: Path) -> None:
    """Each YAML example is a bench file or an operator script; each loads as one."""
    for line, text in _yaml_blocks(ROOT / "docs" / "bench.md"):
        example = tmp_path / f"bench.md-{line}.yaml"
        example.write_text(text)
        raw = yaml.safe_load(text)
        if isinstance(raw, dict) and set(raw) <= OPERATOR_KEYS:
            load_operator(example)
        else:
            _load_bench_as_the_target_does(example)


# -- commands ----------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    where: str
    text: str
    fenced: bool
    """A line of a shell block, meant to be pasted whole; otherwise a span of prose,
    which may quote a fragment or a synopsis (`iqos-sim inject DEVICE NAME [--clear]`)."""


def _commands(markdown: str, name: str) -> Iterator[Command]:
    """Lines of shell blocks, and code spans of the prose that start with a program."""
    lines = markdown.splitlines()
    prose = list(lines)
    language: str | None = None
    pending, pending_line = "", 0
    for number, line in enumerate(lines, 1):
        fence = _FENCE.match(line)
        if fence or language is not None:
            prose[number - 1] = ""
        if fence:
            language = fence.group(1) if language is None else None
            continue
        if language not in SHELL_LANGUAGES:
            continue
        pending_line = pending_line or number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1].strip() + " "
            continue
        yield Command(f"{name}:{pending_line}", pending + line.strip(), True)
        pending, pending_line = "", 0
    text = "\n".join(prose)
    for span in _INLINE.finditer(text):
        words = span.group(1).split()
        if words and _program(words) is not None:
            number = text.count("\n", 0, span.start()) + 1
            yield Command(f"{name}:{number}", " ".join(words), False)


def _without_assignments(words: list[str]) -> list[str]:
    """The command after its leading `NAME=value` environment settings."""
    while words and _ASSIGNMENT.match(words[0]):
        words = words[1:]
    return words


def _program(words: list[str]) -> str | None:
    """The program a command runs, as the checks know it, or None for the others."""
    words = _without_assignments(words)
    if not words:
        return None
    first = words[0]
    if re.match(r"^(\.venv|\.tox/[\w-]+)/bin/", first):
        first = Path(first).name
    if first in {"python", "python3", "tox", "iqos-hil", "iqos-sim", "pytest"}:
        return first
    return first if first.startswith(".ci/") else None


def _import_run() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run", ROOT / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tox_envs() -> set[str]:
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini")
    listed = re.split(r"[,\s]+", tox.get("tox", "env_list", fallback=""))
    return {s.removeprefix("testenv:") for s in tox.sections() if s.startswith("testenv:")} | {
        env for env in listed if env
    }


def _parse_problem(parser: argparse.ArgumentParser, arguments: list[str]) -> str | None:
    """What argparse says about the arguments, or None when it takes them."""
    said = io.StringIO()
    with contextlib.redirect_stderr(said), contextlib.redirect_stdout(io.StringIO()):
        try:
            parser.parse_args(arguments)
        except SystemExit as stopped:
            if stopped.code:
                return said.getvalue().strip().splitlines()[-1]
    return None


def _path_problems(words: list[str]) -> Iterator[str]:
    for word in words:
        value = word.split("=", 1)[1] if word.startswith("--") and "=" in word else word
        if (
            "/" not in value
            or value.startswith(("/", "~", "-"))
            or "://" in value
            or PLACEHOLDER.search(value)
            or value.startswith(PRODUCED)
        ):
            continue
        if not (ROOT / value).exists():
            yield f"{value} does not exist"


PYTHON_OWN_MODULES = frozenset({"pip", "venv"})
"""Modules a user's python3 brings itself: the tox environments this test runs in are
made by uv, without pip."""


def _python_problems(arguments: list[str], jobs: frozenset[str]) -> Iterator[str]:
    if arguments[:1] == ["-m"] and len(arguments) > 1:
        if arguments[1] in PYTHON_OWN_MODULES:
            return
        try:
            found = importlib.util.find_spec(arguments[1]) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            yield f"no module {arguments[1]}"
    elif arguments[:1] == ["run.py"]:
        job = arguments[1] if len(arguments) > 1 else "(none)"
        if job not in jobs:
            yield f"run.py has no job {job}: {', '.join(sorted(jobs))}"


def _tox_problems(arguments: list[str], envs: frozenset[str]) -> Iterator[str]:
    for flag, value in pairwise(arguments):
        if flag == "-e":
            for env in value.split(","):
                if env not in envs:
                    yield f"tox.ini has no env {env}"


def _cli_problems(program: str, arguments: list[str]) -> Iterator[str]:
    if program == "iqos-hil" and arguments[:1] in (["steps"], ["lint"]):
        # harness.scenario_tools builds these parsers inside the commands; only the
        # feature paths they take can be checked without running them.
        for path in arguments[1:]:
            if not path.startswith("-") and not (ROOT / path).exists():
                yield f"{path} does not exist"
        return
    parser = iqos_hil_parser() if program == "iqos-hil" else iqos_sim_parser()
    problem = _parse_problem(parser, arguments)
    if problem:
        yield problem


def _k_problems(words: list[str]) -> Iterator[str]:
    for flag, expression in pairwise(words):
        if flag == "-k":
            try:
                Expression.compile(expression)
            except SyntaxError as error:
                yield f"-k {expression!r} is not a pytest -k expression: {error}"


@dataclass(frozen=True)
class Project:
    """What a command may name: run.py's jobs and tox.ini's envs."""

    jobs: frozenset[str]
    envs: frozenset[str]


def _problems(command: Command, project: Project) -> list[str]:
    try:
        words = _without_assignments(shlex.split(command.text, comments=command.fenced))
    except ValueError as error:
        return [f"not shell words: {error}"]
    program = _program(words)
    if program is None:
        return []
    arguments = words[1:]
    problems = [*_path_problems(words), *_k_problems(arguments)]
    if program in {"python", "python3"}:
        problems += _python_problems(arguments, project.jobs)
    elif program == "tox":
        problems += _tox_problems(arguments, project.envs)
    elif program in {"iqos-hil", "iqos-sim"} and command.fenced:
        problems += _cli_problems(program, arguments)
    return problems


def _broken(commands: list[Command], project: Project) -> list[str]:
    return [
        f"{command.where}: `{command.text.strip()}`: {problem}"
        for command in commands
        for problem in _problems(command, project)
    ]


def test_documented_commands_work() -> None:
    run = _import_run()
    project = Project(frozenset({*run.JOBS, run.REPORT_JOB}), frozenset(_tox_envs()))
    commands = [
        command
        for path in DOCS
        for command in _commands(path.read_text(), str(path.relative_to(ROOT)))
    ]
    broken = _broken(commands, project)
    if broken:
        pytest.fail(f"{len(broken)} documented commands are broken:\n" + "\n".join(broken))


def test_the_command_check_finds_what_is_broken() -> None:
    """The check above passes when it finds nothing; this shows it does look."""
    markdown = "\n".join(
        [
            'Run `python3 run.py feature -- -k "two words"` or:',
            "```sh",
            "tox -e nope -- --bench fixtures/benches/none.yaml  # comment: ignored/path",
            ".venv/bin/python -m iqos.nothing",
            "iqos-hil --target moon \\",
            "    scan",
            "iqos-hil lint no-such-features",
            "```",
            "```",
            "iqos-sim inject DEVICE FAULT [--clear]",
            "```",
        ]
    )
    project = Project(frozenset({"features"}), frozenset({"features"}))
    broken = _broken(list(_commands(markdown, "x.md")), project)
    expected = [
        ("x.md:3:", "fixtures/benches/none.yaml does not exist"),
        ("x.md:3:", "tox.ini has no env nope"),
        ("x.md:4:", "no module iqos.nothing"),
        ("x.md:5: `iqos-hil --target moon scan`", "invalid choice: 'moon'"),
        ("x.md:7:", "no-such-features does not exist"),
        ("x.md:1:", "-k 'two words' is not a pytest -k expression"),
        ("x.md:1:", "run.py has no job feature"),
    ]
    assert len(broken) == len(expected), broken
    for problem, (where, what) in zip(broken, expected, strict=True):
        assert problem.startswith(where) and what in problem, problem
