"""Feature wiring: the target, the step library, a fresh app per scenario, capability
skips and evidence. Step modules are imported here (pytest-bdd finds steps as fixtures)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pytest_bdd.parser import Feature, Scenario, Step

from harness.app import App
from harness.evidence import Evidence
from harness.loop import SessionLoop
from harness.reporting import (
    ScenarioReporting,
    hide_pytest_bdd_frames,
    record_scenario_title,
    severity_marker,
)
from harness.tags import DOMAIN_TAGS, MODEL_PREFIX, NEEDS_PREFIX, SEVERITY_PREFIX
from harness.targets.base import Target, TargetError
from harness.targets.registry import TargetOptions, build
from scenarios.battery import *
from scenarios.connection import *
from scenarios.diagnostics import *
from scenarios.holder import *
from scenarios.link import *
from scenarios.notifications import *
from scenarios.pairing import *
from scenarios.reset import *
from scenarios.settings import *
from scenarios.several_devices import *
from scenarios.usage import *

TARGET_KEY = pytest.StashKey[Target]()


@pytest.fixture(scope="session")
def session_loop(request: pytest.FixtureRequest) -> Iterator[SessionLoop]:
    """The one loop of the session, in virtual time where the target allows it."""
    built = request.config.stash[TARGET_KEY]
    virtual_time = built.virtual_time and not request.config.getoption("--real-time")
    with SessionLoop(virtual_time=virtual_time) as loop:
        yield loop


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest, session_loop: SessionLoop) -> Iterator[Target]:
    built = request.config.stash[TARGET_KEY]
    session_loop.run(built.start(), timeout=600)
    try:
        yield built
    finally:
        session_loop.run(built.stop(), timeout=120)


@pytest.fixture
def app(session_loop: SessionLoop, target: Target, request: pytest.FixtureRequest) -> Iterator[App]:
    """The app for one scenario; its devices and bonds are gone when the scenario ends."""
    evidence = Evidence(clock=session_loop.loop.time)
    scenario_app = App(session_loop, target, evidence, wanted=_needs(request.node))
    request.node.stash[APP_KEY] = scenario_app
    try:
        yield scenario_app
    finally:
        scenario_app.close()


APP_KEY = pytest.StashKey[App]()


def _needs(item: pytest.Item) -> set[str]:
    return {str(marker.args[0]) for marker in item.iter_markers("needs")}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs(name): a model capability or target ability")
    config.addinivalue_line("markers", "model(key): a scenario about one model only")
    for domain in sorted(DOMAIN_TAGS):
        config.addinivalue_line("markers", f"{domain}: {domain} scenarios")
    config.stash[TARGET_KEY] = built = _build_target(config)
    config.pluginmanager.register(ScenarioReporting(config, built), "iqos-hil-reporting")


def _build_target(config: pytest.Config) -> Target:
    """Built, not started, before any scenario: options the target cannot use (a bad
    bench file, no adapters named) are one usage error, not one failure per scenario."""
    capture = config.pluginmanager.getplugin("capturemanager")
    options = TargetOptions(
        bench=config.getoption("--bench"),
        operator=config.getoption("--operator"),
        environment=os.environ,
        suspend_capture=capture.global_and_fixture_disabled,
    )
    try:
        return build(config.getoption("--target"), options)
    except (TargetError, ValueError) as error:
        raise pytest.UsageError(str(error)) from None


def pytest_bdd_apply_tag(tag: str, function: Callable[..., Any]) -> Callable[..., Any] | None:
    """`@needs:X` and `@model:K` become markers with an argument, so skips can read them;
    `@severity:S` becomes the report's severity."""
    if tag.startswith(SEVERITY_PREFIX):
        severe: Callable[..., Any] = severity_marker(tag[len(SEVERITY_PREFIX) :])(function)
        return severe
    for prefix, marker in ((NEEDS_PREFIX, pytest.mark.needs), (MODEL_PREFIX, pytest.mark.model)):
        if tag.startswith(prefix):
            marked: Callable[..., Any] = marker(tag[len(prefix) :])(function)
            return marked
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        hide_pytest_bdd_frames(item)


def pytest_bdd_before_scenario(
    request: pytest.FixtureRequest, feature: Feature, scenario: Scenario
) -> None:
    record_scenario_title(request.node, scenario)


def pytest_bdd_after_step(
    request: pytest.FixtureRequest,
    feature: Feature,
    scenario: Scenario,
    step: Step,
    step_func: Any,
    step_func_args: dict[str, Any],
) -> None:
    scenario_app = request.node.stash.get(APP_KEY, None)
    if scenario_app is not None:
        scenario_app.sample(f"{step.keyword} {step.name}")


@pytest.hookimpl(tryfirst=True)
def pytest_bdd_step_error(
    request: pytest.FixtureRequest,
    feature: Feature,
    scenario: Scenario,
    step: Step,
    step_func: Any,
    step_func_args: dict[str, Any],
    exception: Exception,
) -> None:
    """Runs while the report's step is still open, so the evidence hangs on that step."""
    scenario_app = request.node.stash.get(APP_KEY, None)
    if scenario_app is not None and not isinstance(exception, pytest.skip.Exception):
        scenario_app.attach_failure_evidence()


def pytest_bdd_after_scenario(
    request: pytest.FixtureRequest, feature: Feature, scenario: Scenario
) -> None:
    scenario_app = request.node.stash.get(APP_KEY, None)
    if scenario_app is not None:
        scenario_app.attach_evidence(request.config.getoption("--capture-always"))
