"""Selecting the backend without backend=: install() and the start-up hook."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import bleak
import pytest
from bleak import BleakClient, BleakScanner

import harness.bleak_backend as backend
from harness.bleak_backend import ENVIRONMENT_VARIABLE
from harness.bleak_backend.__main__ import HOOK_NAME, write_hook

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_radio(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("harness.bleak_backend.radio._current", None)


def test_install_selects_the_backend_only_when_a_radio_is_configured(
    no_radio: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # install() patches the bleak module; put it back as it was after this test.
    for name in ("get_platform_scanner_backend_type", "get_platform_client_backend_type"):
        monkeypatch.setattr(bleak, name, getattr(bleak, name))
    monkeypatch.delattr(bleak, "_iqos_hil_bumble_backend", raising=False)
    monkeypatch.delenv(ENVIRONMENT_VARIABLE, raising=False)
    choose_scanner = getattr(bleak, "get_platform_scanner_backend_type")  # noqa: B009
    platform_scanner = choose_scanner()
    backend.install()
    backend.install()
    assert backend.installed()
    choose_scanner = getattr(bleak, "get_platform_scanner_backend_type")  # noqa: B009
    assert choose_scanner() == platform_scanner
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "tcp-client:127.0.0.1:9")
    assert BleakScanner().backend_id == "BumbleScanner"
    assert BleakClient("C1:23:45:67:89:AB").backend_id == "BumbleClient"


def test_start_up_hook(tmp_path: Path) -> None:
    """The .pth hook installs the backend in a fresh interpreter only when the variable is set."""
    write_hook(tmp_path)
    assert (tmp_path / HOOK_NAME).read_text() == write_hook(tmp_path).read_text()
    probe = (
        "import site, sys; site.addsitedir(sys.argv[1]); import bleak; "
        "print(getattr(bleak, '_iqos_hil_bumble_backend', False))"
    )
    outputs = []
    for value in ("tcp-client:127.0.0.1:9", ""):
        result = subprocess.run(
            [sys.executable, "-c", probe, str(tmp_path)],
            cwd=ROOT,
            env={**os.environ, ENVIRONMENT_VARIABLE: value},
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout.strip())
    assert outputs == ["True", "False"]
