"""One registry of targets: pytest's --target, iqos-hil --target and the docs all list
exactly its names, and a target that cannot run is one line, never a traceback."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import _parser as iqos_hil_parser
from harness.targets.base import TargetError
from harness.targets.bluez import CLIENT_ADAPTER, DEVICE_ADAPTERS
from harness.targets.registry import REGISTRY, TargetOptions, build, names
from iqos.models import model_named

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "fixtures" / "benches" / "lab.yaml"
WITHOUT_BLUEZ = {
    key: value for key, value in os.environ.items() if not key.startswith("IQOS_BLUEZ_")
}


def iqos_hil(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={key: value for key, value in WITHOUT_BLUEZ.items() if key != "IQOS_HIL_HCI"},
    )


def test_the_registry_lists_exactly_the_targets() -> None:
    assert names() == ("virtual", "bluez", "hardware", "labgrid")
    assert all(registration.name == name for name, registration in REGISTRY.items())
    with pytest.raises(TargetError, match="unknown target 'moon'; targets: virtual, bluez, hard"):
        build("moon", TargetOptions())


@pytest.mark.parametrize("name", names())
def test_each_registration_builds_a_target_of_its_own_name(name: str) -> None:
    """The labgrid target needs its extra; without it, it says so (test_labgrid_target)."""
    if name == "labgrid" and importlib.util.find_spec("labgrid") is None:
        pytest.skip("the labgrid target builds where labgrid is installed (tox -e labgrid)")
    options = TargetOptions(
        bench=LAB, environment={DEVICE_ADAPTERS: "hci0", CLIENT_ADAPTER: "hci1"}
    )
    assert build(name, options).name == name


def test_pytest_offers_the_registry_as_target_choices() -> None:
    helped = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    choices = re.search(r"--target=\{([^}]*)\}", helped.stdout)
    assert choices is not None, helped.stdout
    assert tuple(choices.group(1).split(",")) == names()


def test_iqos_hil_offers_and_accepts_every_registered_target() -> None:
    parser = iqos_hil_parser()
    (action,) = [action for action in parser._actions if action.dest == "target"]
    assert tuple(action.choices or ()) == names()
    for name in names():
        assert parser.parse_args(["--target", name, "scan"]).target == name


def test_an_unknown_target_is_one_line_and_exit_2() -> None:
    answer = iqos_hil("--target", "moon", "scan")
    assert answer.returncode == 2
    assert answer.stderr.startswith("iqos-hil: argument --target: invalid choice: 'moon'")
    assert answer.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--target", "bluez", "scan"), "iqos-hil: the bluez target needs IQOS_BLUEZ_DEVICE"),
        (("--target", "hardware", "scan"), "iqos-hil: --target hardware needs --bench FILE"),
        (
            ("--target", "hardware", "--bench", str(LAB), "--fault", "ambient_too_cold", "diag"),
            "iqos-hil: the hardware target cannot start a device with a fault",
        ),
    ],
)
def test_a_target_that_cannot_run_the_command_says_so_in_one_line(
    args: tuple[str, ...], message: str
) -> None:
    answer = iqos_hil(*args)
    assert answer.returncode == 2, answer.stderr
    assert answer.stderr.startswith(message)
    assert answer.stderr.count("\n") == 1


def test_pytest_refuses_a_target_that_cannot_run_before_any_scenario() -> None:
    answer = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "features",
         "--target", "bluez", "--collect-only", "-q"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env=WITHOUT_BLUEZ,
    )  # fmt: skip
    assert answer.returncode == 4
    assert "ERROR: the bluez target needs IQOS_BLUEZ_DEVICE_ADAPTERS" in answer.stderr


def test_the_virtual_radio_of_another_process_serves_commands_not_scenarios() -> None:
    target = build("virtual", TargetOptions(environment={"IQOS_HIL_HCI": "tcp-client:x:1"}))
    model = model_named("IQOS 3 DUO")
    options = asyncio.run(target.ready_for_command(model, []))
    assert set(options) == {"client_backend", "scanner_backend"}
    with pytest.raises(TargetError, match="set their faults there"):
        asyncio.run(target.ready_for_command(model, ["ambient_too_cold"]))
    with pytest.raises(TargetError, match="unset IQOS_HIL_HCI"):
        asyncio.run(target.provide(model))


def test_the_docs_list_exactly_the_registered_targets() -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## Targets") :].split("\n\n")[2]
    assert tuple(re.findall(r"^\| `([\w-]+)`", table, re.MULTILINE)) == names()
    cli = (ROOT / "docs" / "cli.md").read_text()
    assert f"iqos-hil [--target {'|'.join(names())}]" in cli
