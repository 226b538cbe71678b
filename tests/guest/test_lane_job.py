"""The bluez lane's job: features, then the contract suite, in one guest."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from harness.guest import lane_job

GUEST = {
    "IQOS_GUEST_RESULTS": "/results/shard-0",
    "IQOS_BLUEZ_DEVICE_ADAPTERS": "hci0,hci1",
    "IQOS_BLUEZ_CLIENT_ADAPTER": "hci2",
    "IQOS_HIL_SHARD": "0/2",
}


def test_the_features_get_only_the_first_device_controller() -> None:
    environment = lane_job.features_environment(GUEST)
    assert environment["IQOS_BLUEZ_DEVICE_ADAPTERS"] == "hci0"
    assert environment["IQOS_BLUEZ_CLIENT_ADAPTER"] == "hci2"
    assert environment["IQOS_HIL_SHARD"] == "0/2"


def test_outside_a_guest_it_says_how_to_run_it(capsys: pytest.CaptureFixture[str]) -> None:
    outside = {name: value for name, value in GUEST.items() if name != "IQOS_GUEST_RESULTS"}
    with pytest.raises(SystemExit) as stopped:
        lane_job.features_environment(outside)
    assert stopped.value.code == 2
    assert "python -m harness.guest run --shards 2" in capsys.readouterr().err


def test_a_guest_without_the_contracts_second_peripheral_is_refused_with_the_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as stopped:
        lane_job.features_environment({**GUEST, "IQOS_BLUEZ_DEVICE_ADAPTERS": "hci0"})
    assert stopped.value.code == 2
    assert "--controllers 3" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("features", "contract", "expected"), [(0, 0, 0), (1, 0, 1), (0, 1, 1), (5, 1, 5)]
)
def test_both_sessions_run_and_the_worse_exit_code_wins(
    monkeypatch: pytest.MonkeyPatch, features: int, contract: int, expected: int
) -> None:
    runs: list[tuple[list[str], dict[str, str] | None]] = []

    def run(command: list[str], env: dict[str, str] | None = None, **_: Any) -> Any:
        runs.append((command, env))
        code = features if "features" in command else contract
        return subprocess.CompletedProcess(command, code)

    for name, value in GUEST.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(subprocess, "run", run)
    assert lane_job.main(["-k", "pairing"]) == expected
    (first, first_env), (second, second_env) = runs
    assert first[-2:] == ["-k", "pairing"] and "--target" in first
    assert first_env is not None and first_env["IQOS_BLUEZ_DEVICE_ADAPTERS"] == "hci0"
    assert "/results/shard-0/allure-results" in first
    assert lane_job.CONTRACT in second and "-k" not in second
    assert "/results/shard-0/contract-junit.xml" in second
    assert second_env is None
