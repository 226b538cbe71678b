"""`IQOS_HIL_PROFILES` points at hand-edited files: each mistake is one line naming the
file, never a traceback; and the client and the simulator both read their profiles there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from iqos.models import ProfilesError, _load, load_models
from iqos.protocol.model import DEFAULT_PROFILES
from simulator.profile import find_profile, load_profiles

GOOD = (DEFAULT_PROFILES / "iqos-3-duo.yaml").read_text()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"protocol: [unclosed", "not valid YAML"),
        (b"- a\n- list\n", "expected a mapping with a 'protocol' section"),
        (GOOD.replace("Philip Morris", "Philip M\u00f6rris").encode("latin-1"), "not UTF-8 text"),
        (
            GOOD.replace("sessions_per_charge: 2", "sessions_per_charge: 0").encode(),
            "protocol.sessions_per_charge: 0 is less than the minimum of 1",
        ),
    ],
)
def test_a_bad_profile_is_named_with_its_problem(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    (tmp_path / "broken.yaml").write_bytes(content)
    with pytest.raises(ProfilesError) as raised:
        _load(tmp_path)
    assert str(raised.value).startswith(f"{tmp_path / 'broken.yaml'}: ")
    assert problem in str(raised.value)


def test_a_folder_without_profiles_says_so(tmp_path: Path) -> None:
    with pytest.raises(ProfilesError, match="no device profiles"):
        _load(tmp_path)
    with pytest.raises(ProfilesError, match="no such folder"):
        _load(tmp_path / "missing")


def test_iqos_hil_reports_a_broken_profile_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("- not a profile\n")
    answer = subprocess.run(
        [sys.executable, "-m", "harness.cli", "scan"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "IQOS_HIL_PROFILES": str(tmp_path)},
    )
    assert answer.returncode == 2
    lines = answer.stderr.strip().splitlines()
    assert len(lines) == 1, answer.stderr
    assert str(tmp_path / "broken.yaml") in lines[0]


def test_client_and_simulator_read_their_profiles_from_iqos_hil_profiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "lab-multi.yaml").write_text((DEFAULT_PROFILES / "iqos-3-multi.yaml").read_text())
    monkeypatch.setenv("IQOS_HIL_PROFILES", str(tmp_path))
    assert set(load_models()) == set(load_profiles()) == {"lab-multi"}
    assert find_profile("IQOS 3 Multi").key == "lab-multi"
