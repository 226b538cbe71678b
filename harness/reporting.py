"""How a feature run reads in its reports: Allure, JUnit and the terminal.

A red scenario is read by someone who did not write it. So its traceback starts
at the step, not in pytest-bdd; its step parameters read as the feature says
them (`IQOS 3 DUO`, not `ModelSpec('iqos-3-duo')`, and no fixtures); its JUnit
test case is named by the scenario's title with its model; and its severity
comes from the feature's `@severity:` tag.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Any

import _pytest
import pluggy
import pytest
import pytest_bdd
from _pytest._code.code import ExceptionInfo, Traceback
from _pytest.junitxml import xml_key
from allure_commons.model2 import Parameter
from allure_pytest_bdd.pytest_bdd_listener import PytestBDDListener
from allure_pytest_bdd.steps import get_step_uuid
from pytest_bdd.parser import Scenario, Step

from harness.run_record import RunRecord
from harness.targets.base import Target
from iqos.protocol.model import ModelSpec

MACHINERY = tuple(
    Path(str(package.__file__)).resolve().parent for package in (pytest_bdd, _pytest, pluggy)
)
"""Where the frames come from that run a step but say nothing about it."""
SCENARIO_TITLE = "scenario"


def severity_marker(level: str) -> pytest.MarkDecorator:
    """The label allure-pytest-bdd reads from a marker (the lint checks the level)."""
    return pytest.mark.allure_label(level, label_type="severity")


def hide_pytest_bdd_frames(item: pytest.Item) -> None:
    """Tracebacks start at the step function: pytest-bdd's and pytest's frames (pytest-bdd
    calls steps as fixtures) say nothing to a scenario's reader."""
    keep = item._traceback_filter

    def without_pytest_bdd(excinfo: ExceptionInfo[BaseException]) -> Traceback:
        traceback: Traceback = keep(excinfo)
        return traceback.filter(
            lambda entry: not any(folder in Path(entry.path).parents for folder in MACHINERY)
        )

    item._traceback_filter = without_pytest_bdd  # type: ignore[method-assign]


def record_scenario_title(item: pytest.Item, scenario: Scenario) -> None:
    """The title travels with the item's reports (also from xdist workers) to JUnit."""
    title = scenario.name
    model = _outline_model(item)
    if model and model not in title:
        title = f"{title} [{model}]"
    item.user_properties.append((SCENARIO_TITLE, title))


def _outline_model(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    example = callspec.params.get("_pytest_bdd_example", {}) if callspec else {}
    model = example.get("model")
    return str(model) if model else None


def readable(value: Any) -> str | None:
    """A step argument as the feature wrote it; None for fixtures, which are not arguments."""
    if isinstance(value, ModelSpec):
        return value.display_name
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, bool | int | float | str):
        return str(value)
    if isinstance(value, list | tuple) and all(isinstance(part, str | int) for part in value):
        return ", ".join(str(part) for part in value)
    return None


class ScenarioReporting:
    """Hooks that need the run's config: registered once per pytest process."""

    def __init__(self, config: pytest.Config, target: Target) -> None:
        self.config = config
        self.target = target

    @pytest.hookimpl(trylast=True)
    def pytest_bdd_before_step_call(self, step: Step, step_func_args: dict[str, Any]) -> None:
        """Runs after allure-pytest-bdd listed every argument with repr: keep the
        step's own arguments, written as in the feature."""
        listener = next(
            (
                p
                for p in self.config.pluginmanager.get_plugins()
                if isinstance(p, PytestBDDListener)
            ),
            None,
        )
        if listener is None:
            return
        with listener.lifecycle.update_step(uuid=get_step_uuid(step)) as result:
            if result is None:
                return
            result.parameters = [
                Parameter(name=name, value=text)
                for name, value in step_func_args.items()
                if name not in ("docstring", "datatable") and (text := readable(value)) is not None
            ]

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """The run record: what was selected, where, with what (xdist: the first worker
        writes it; every worker selects the same scenarios)."""
        results = self.config.getoption("allure_report_dir", None)
        worker = getattr(self.config, "workerinput", {}).get("workerid")
        if not results or worker not in (None, "gw0"):
            return
        record = RunRecord(self.target.name, len(session.items), self.target.firmware())
        record.save(Path(results))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """JUnit names the test case by the scenario's title (and model), not by the
        generated function's name."""
        xml = self.config.stash.get(xml_key, None)
        title = dict(report.user_properties).get(SCENARIO_TITLE)
        if xml is not None and title:
            xml.node_reporter(report).add_attribute("name", str(title))
