"""A red run, as a QA engineer meets it: the main job on a feature folder where one
scenario fails, over the virtual radio, then the report it leaves, opened from disk.

The job runs in a copy of the project's feature wiring (root and features
conftest, the binding module) around features written here, so the test owns
which scenario fails and the project's own features stay green.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
JOB_TIMEOUT = 300

RED_FEATURE = """\
@battery @severity:critical
Feature: Charger level

  Scenario Outline: The <model> charger reads the level it dropped to
    Given an <model> paired with the app
    When the charger battery drops to 40%
    Then the app reads a charger level of {expected}%

    Examples:
      | model      |
      | IQOS 3 DUO |

  Scenario: The IQOS 2.4 Plus can read its battery
    Given an IQOS 2.4 Plus paired with the app
    Then the app can read the battery
"""
RED_TITLE = "The IQOS 3 DUO charger reads the level it dropped to"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The feature wiring of the project, around a features folder of our own."""
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")
    features = tmp_path / "features"
    (features / "battery").mkdir(parents=True)
    for name in ("conftest.py", "test_features.py"):
        shutil.copy(ROOT / "features" / name, features / name)
    return tmp_path


def write_feature(project: Path, expected: int) -> None:
    (project / "features" / "battery" / "level.feature").write_text(
        RED_FEATURE.format(expected=expected)
    )


def run_job(project: Path, *pytest_arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "harness.feature_job",
            "--",
            "features",
            "--target",
            "virtual",
            *pytest_arguments,
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=JOB_TIMEOUT,
        env={**os.environ, "PYTEST_ADDOPTS": ""},
    )


def results(project: Path) -> dict[str, dict[str, Any]]:
    """Scenario title -> its allure result."""
    found = {}
    for path in (project / "reports" / "allure-results").glob("*-result.json"):
        result = json.loads(path.read_text())
        found[result["name"]] = result
    return found


def embedded_results(index: Path) -> dict[str, dict[str, Any]]:
    """The test results that Allure's single-file page carries (base64 JSON per file)."""
    page = index.read_text()
    found = {}
    for match in re.finditer(r'd\("data/test-results/[^"]+","([A-Za-z0-9+/=]+)"', page):
        result = json.loads(base64.b64decode(match.group(1)))
        found[result["name"]] = result
    return found


def rendered_page(index: Path, fragment: str, profile: Path) -> str:
    """The page as headless Chromium renders it from file://, after its scripts ran."""
    assert CHROMIUM is not None
    shown = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            f"{index.as_uri()}#{fragment}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return shown.stdout


@pytest.mark.radio
def test_a_red_run_leaves_a_fresh_report_with_evidence_then_a_green_run_shows_it_fixed(
    project: Path, tmp_path: Path
) -> None:
    write_feature(project, expected=35)
    started = time.time()
    red = run_job(project)

    assert red.returncode == 1, red.stdout + red.stderr
    index = project / "reports" / "html" / "index.html"
    assert f"features: 1 passed, 1 failed, 0 broken, 0 skipped; report: {index}" in red.stdout
    assert index.stat().st_mtime >= started

    scenario = results(project)[RED_TITLE]
    assert scenario["status"] == "failed"
    message = scenario["statusDetails"]["message"]
    assert "expected a charger level of 35%, the app read 40%" in message
    assert "IQOS 3 DUO" in message
    trace = scenario["statusDetails"]["trace"]
    assert "_pytest" not in trace and "pytest_bdd" not in trace, trace
    assert "scenarios/battery.py" in trace

    steps = {step["name"]: step for step in scenario["steps"]}
    failed_step = steps["Then the app reads a charger level of 35%"]
    assert failed_step["status"] == "failed"
    assert failed_step["parameters"] == [{"name": "level", "value": "35"}]
    assert steps["Given an IQOS 3 DUO paired with the app"]["parameters"] == [
        {"name": "model", "value": "IQOS 3 DUO"}
    ]
    evidence = {attachment["name"]: attachment for attachment in failed_step["attachments"]}
    capture = evidence["btsnoop capture (open in Wireshark)"]
    assert (project / "reports" / "allure-results" / capture["source"]).read_bytes()[
        :8
    ] == b"btsnoop\0"
    changes = next(name for name in evidence if name.startswith("device state changes"))
    assert (
        "battery.charger_level: 90 -> 40"
        in (project / "reports" / "allure-results" / evidence[changes]["source"]).read_text()
    )
    assert {"name": "severity", "value": "critical"} in scenario["labels"]

    junit = (project / "reports" / "junit.xml").read_text()
    assert f'name="{RED_TITLE}"' in junit
    environment = (project / "reports" / "allure-results" / "environment.properties").read_text()
    assert "target=virtual" in environment and "run=complete" in environment

    page = embedded_results(index)
    assert page[RED_TITLE]["status"] == "failed"
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI must prove the report opens in Chromium: .ci/run installs it")
    else:
        shown = rendered_page(index, page[RED_TITLE]["id"], tmp_path / "chromium")
        assert RED_TITLE in shown
        assert "Then the app reads a charger level of 35%" in shown
        assert "btsnoop capture (open in Wireshark)" in shown
        assert "expected a charger level of 35%, the app read 40%" in shown

    write_feature(project, expected=40)
    green = run_job(project)
    assert green.returncode == 0, green.stdout + green.stderr
    assert embedded_results(index)[RED_TITLE]["transition"] == "fixed"


@pytest.mark.radio
def test_a_run_that_stops_early_says_how_many_scenarios_did_not_run(project: Path) -> None:
    write_feature(project, expected=35)
    stopped = run_job(project, "-x")

    assert stopped.returncode == 1, stopped.stdout + stopped.stderr
    assert "1 not run (the run stopped early)" in stopped.stdout
    environment = (project / "reports" / "allure-results" / "environment.properties").read_text()
    assert "run=stopped early: 1 of 2 scenarios did not run" in environment


@pytest.mark.radio
def test_a_run_that_selects_nothing_is_not_called_incomplete(project: Path) -> None:
    write_feature(project, expected=35)
    nothing = run_job(project, "-k", "no_such_scenario")

    assert nothing.returncode == 5
    assert "not run" not in nothing.stdout


LONG_FEATURE = """\
@battery
Feature: Many readings

  Scenario Outline: The <model> charger reads <level>%
    Given an <model> paired with the app
    When the charger battery drops to <level>%
    Then the app reads a charger level of <level>%

    Examples:
      | model      | level |
""" + "".join(f"      | IQOS 3 DUO | {level} |\n" for level in range(10, 100, 2))


def _default_sigint() -> None:
    """A shell starts background jobs with Ctrl-C ignored; a person's terminal does not."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.radio
def test_ctrl_c_still_leaves_a_report_that_says_the_run_stopped_early(project: Path) -> None:
    (project / "features" / "battery" / "many.feature").write_text(LONG_FEATURE)
    job = subprocess.Popen(
        [sys.executable, "-m", "harness.feature_job", "--", "features", "--target", "virtual"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=_default_sigint,
        env={**os.environ, "PYTEST_ADDOPTS": "", "PYTHONUNBUFFERED": "1"},
    )
    assert job.stdout is not None
    seen = ""
    while "test_features.py .." not in seen:
        character = job.stdout.read(1)
        assert character, f"the job ended before a scenario passed: {seen}"
        seen += character
    os.killpg(job.pid, signal.SIGINT)
    output = seen + job.communicate(timeout=JOB_TIMEOUT)[0]

    # pytest's own status after Ctrl-C is 2, unless the interrupt lands where pytest
    # then fails to format it (a traceback entry with no line number: it exits 1).
    # Either way the job passes pytest's status on, and it is not success.
    assert job.returncode in (1, 2), output
    assert re.search(r"features: \d+ passed, .*, \d+ not run \(the run stopped early\)", output)
    assert (project / "reports" / "html" / "index.html").exists(), output
    results_folder = project / "reports" / "allure-results"
    environment = (results_folder / "environment.properties").read_text()
    assert re.search(r"run=stopped early: \d+ of 45 scenarios did not run", environment)


@pytest.mark.radio
def test_a_step_the_device_cannot_do_yet_is_one_line_for_the_author(project: Path) -> None:
    (project / "features" / "battery" / "puffs.feature").write_text(
        "@holder\nFeature: Puffs\n\n  Scenario: Puffs with no session\n"
        "    Given an IQOS 3 DUO paired with the app\n    And the user has taken 3 puffs\n"
    )
    refused = run_job(project)

    assert refused.returncode == 1, refused.stdout + refused.stderr
    scenario = results(project)["Puffs with no session"]
    expected = "refused to puff: no heating session (an earlier step must make this possible)"
    assert expected in scenario["statusDetails"]["message"]
    assert scenario["statusDetails"]["trace"].strip().endswith(expected)
    assert len(scenario["statusDetails"]["trace"].strip().splitlines()) == 1
