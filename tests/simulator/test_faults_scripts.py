"""A fault script is hand-edited: each mistake is one line naming the file and key."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.faults import FaultScriptError, load_script


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("faults: [ambient_too_cold, teleported]", "script.faults.1: unknown fault 'teleported'"),
        ("faults: [ambient_too_cold]\ncolour: red", "Additional properties are not allowed"),
        ("faults: ambient_too_cold", "script.faults: 'ambient_too_cold' is not of type 'array'"),
        ("faults: [[ambient_too_cold]]", "script.faults.0: ['ambient_too_cold'] is not of type"),
        ("description: no faults", "script: 'faults' is a required property"),
        ("- ambient_too_cold", "script: ['ambient_too_cold'] is not of type 'object'"),
        ("faults: [", "not valid YAML"),
    ],
)
def test_a_bad_fault_script_names_the_file_and_the_problem(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "script.yaml"
    path.write_text(text)
    with pytest.raises(FaultScriptError, match=re.escape(f"{path}: ")) as raised:
        load_script(str(path))
    assert problem in str(raised.value)


def test_a_script_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "script.yaml"
    path.write_bytes("description: caf\xe9\nfaults: []\n".encode("latin-1"))
    with pytest.raises(FaultScriptError, match=re.escape(f"{path}: not UTF-8 text")):
        load_script(str(path))


def test_iqos_sim_serve_names_a_bad_script_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "script.yaml"
    path.write_text("faults: [teleported]\n")
    answer = subprocess.run(
        [sys.executable, "-m", "simulator.cli", "serve", "--faults", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert answer.returncode == 2
    assert answer.stderr.strip() == (
        f"iqos-sim: {path}: script.faults.0: unknown fault 'teleported'; "
        "`iqos-sim faults` lists them"
    )
