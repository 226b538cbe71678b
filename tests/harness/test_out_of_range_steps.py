"""The out-of-range steps as a scenario author meets them when a scenario is wrong:
one clear line naming the device and what was waited for, never a hang or a trace.

The features run in a copy of the project's feature wiring, as in test_red_run, so
the test owns which scenarios fail and the project's own features stay green.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = ("--target", "virtual")

WRONG_FEATURES = """\
@link
Feature: Out of range, written wrong

  @needs:out_of_range
  Scenario: The device never comes back
    Given an IQOS 3 DUO paired with the app
    When the device goes out of range
    Then the app reconnects to the device on its own

  @needs:out_of_range
  Scenario: The device comes back without having left
    Given an IQOS 3 Multi paired with the app
    When the device comes back in range

  @needs:out_of_range
  Scenario: The device goes out of range twice
    Given an IQOS 2.4 Plus paired with the app
    When the device goes out of range
    And the device goes out of range

  Scenario: Nothing was lost, so nothing reconnects
    Given an IQOS 3 DUO paired with the app
    When the app disconnects from the device
    Then the app reconnects to the device on its own
"""


def test_each_wrong_scenario_fails_in_one_line_that_says_why(tmp_path: Path) -> None:
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")
    features = tmp_path / "features"
    (features / "link").mkdir(parents=True)
    for name in ("conftest.py", "test_features.py"):
        shutil.copy(ROOT / "features" / name, features / name)
    (features / "link" / "wrong.feature").write_text(WRONG_FEATURES)
    job = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "features", *TARGET],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTEST_ADDOPTS": ""},
    )
    output = job.stdout + job.stderr
    assert "4 failed" in output, output
    assert "Traceback" not in output, output
    assert (
        "the app did not reconnect on its own within 30 s: it waited for the device to "
        "advertise again, and for its bond to encrypt the link"
    ) in output, output
    assert "refused to come back in range: it is in range already" in output, output
    assert "refused to go out of range: it is out of range already" in output, output
    assert "the app is not reconnecting to it: it has not lost its link" in output, output
