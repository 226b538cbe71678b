"""A farm of simulated devices on this machine, exported as if they were hardware.

A real labgrid coordinator and real labgrid exporters on 127.0.0.1, each exporter
with its own places; each place is one device of one `iqos-sim serve`, whose
HCI port is the place's adapter and whose control socket wires the place's power
and button. Nothing here knows the devices are simulated but the exporter's
configuration, which is what a lab writes for its own benches
(docs/bench-farm.md). The farm writes that configuration, the coordinator's
places, and every process's log into its folder, and stops what it started.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from simulator.profile import find_profile

START_SECONDS = 60.0
"""Seconds for every process to start and every resource to reach the coordinator;
the imports alone take seconds on a busy 2-core machine."""
STOP_SECONDS = 10.0


class FarmStartError(RuntimeError):
    """A process of the farm did not start; the message names it and its log."""


@dataclass(frozen=True)
class Bench:
    """One place to be: a device of `model` on the exporter `exporter`."""

    exporter: str
    model: str
    """A profile key: the place's model tag."""

    @property
    def place(self) -> str:
        return f"{self.model.removeprefix('iqos-')}-{self.exporter}"


@dataclass(frozen=True)
class Device:
    bench: Bench
    name: str
    address: str
    hci_port: int
    socket: Path


class SimulatedFarm:
    def __init__(self, folder: Path, benches: Sequence[Bench]) -> None:
        self.folder = folder.resolve()
        """Absolute: the processes run there, and the sockets are named from there."""
        self.benches = list(benches)
        self.coordinator = ""
        """HOST:PORT, once started."""
        self.devices: list[Device] = []
        self._processes: list[tuple[str, asyncio.subprocess.Process]] = []
        self._logging: set[asyncio.Task[None]] = set()

    @property
    def exporters(self) -> list[str]:
        return sorted({bench.exporter for bench in self.benches})

    @property
    def sockets(self) -> list[Path]:
        return [device.socket for device in self.devices]

    async def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        await asyncio.to_thread(self._write, "places.yaml", self.places())
        coordinator, devices = await asyncio.gather(
            self._spawn(
                "coordinator",
                ["-m", "labgrid.remote.coordinator", "-l", "127.0.0.1:0"],
                "listening on ",
            ),
            asyncio.gather(*(self._simulate(bench) for bench in self.benches)),
        )
        self.coordinator = coordinator.split("listening on ", 1)[1].strip()
        self.devices = list(devices)
        await asyncio.gather(*(self._export(exporter) for exporter in self.exporters))
        await self._until_exported()

    async def _export(self, exporter: str) -> None:
        """labgrid's exporter, able to export the farm's adapters (harness.farm.exporter)."""
        configuration = self.folder / f"{exporter}.yaml"
        await asyncio.to_thread(self._write, configuration.name, self.exporter_config(exporter))
        await self._spawn(
            f"exporter {exporter}",
            ["-m", "harness.farm.exporter", "-c", self.coordinator, "-n", exporter,
             "--hostname", "127.0.0.1", str(configuration)],
            "Exporter ready",
        )  # fmt: skip

    async def _simulate(self, bench: Bench) -> Device:
        socket = self.folder / f"{bench.place}.sock"
        lines = await self._spawn(
            f"simulator {bench.place}",
            ["-m", "simulator.cli", "--socket", str(socket), "serve", "--model", bench.model,
             "--hci-port", "0"],
            "control socket:",
        )  # fmt: skip
        name, address = lines.splitlines()[0].split("  ")[:2]
        port = int(lines.split("IQOS_HIL_HCI=tcp-client:127.0.0.1:", 1)[1].split()[0])
        return Device(bench, name, address, port, socket)

    def places(self) -> dict[str, Any]:
        """The coordinator's places, as `labgrid-client create`, `set-tags` and
        `add-match` would leave them: one per bench, tagged as a lab would."""
        places = {}
        for bench in self.benches:
            profile = find_profile(bench.model)
            places[bench.place] = {
                "tags": {
                    "model": bench.model,
                    "firmware": ".".join(str(part) for part in profile.firmware),
                    "holder": "yes" if profile.holder is not None else "no",
                    "location": bench.exporter,
                },
                "matches": [{"exporter": bench.exporter, "group": bench.place, "cls": "*"}],
            }
        return places

    def exporter_config(self, exporter: str) -> dict[str, Any]:
        """What docs/bench-farm.md tells a lab to write, with the simulator standing in
        for the dongle, the power switch and the relay across the button."""
        groups = {}
        for device in self.devices:
            if device.bench.exporter != exporter:
                continue
            wired = {"socket": str(device.socket), "device": device.address}
            groups[device.bench.place] = {
                "location": exporter,
                "HciTcpAdapter": {"port": device.hci_port, "address": "127.0.0.1"},
                "IqosDevice": {"address": device.address, "label": device.name},
                "IqosSimulatorPowerPort": dict(wired),
                "IqosSimulatorButton": dict(wired),
            }
        return groups

    async def _until_exported(self) -> None:
        """Until the coordinator holds every resource of every place."""
        from labgrid.remote.client import ClientSession

        session = ClientSession(self.coordinator, asyncio.get_running_loop())
        await session.start()
        wanted = {(d.bench.exporter, d.bench.place) for d in self.devices}
        try:
            async with asyncio.timeout(START_SECONDS):
                while not all(len(session.resources.get(e, {}).get(g, {})) == 4 for e, g in wanted):
                    await asyncio.sleep(0.1)
                    await session.sync_with_coordinator()
        except TimeoutError:
            raise FarmStartError(
                f"the exporters did not export every place within {START_SECONDS:.0f} s "
                f"(logs in {self.folder})"
            ) from None
        finally:
            await session.stop()
            await session.close()

    async def _spawn(self, name: str, arguments: list[str], ready: str) -> str:
        """Start a process and return what it printed up to its line that says it is
        ready; everything it prints goes to its log too."""
        log = self.folder / f"{name.replace(' ', '-')}.log"
        process = await asyncio.create_subprocess_exec(
            sys.executable, *arguments,
            cwd=self.folder, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        self._processes.append((name, process))
        assert process.stdout is not None
        seen: list[str] = []
        try:
            async with asyncio.timeout(START_SECONDS):
                while not seen or ready not in seen[-1]:
                    line = await process.stdout.readline()
                    if not line:
                        raise FarmStartError(f"{name} exited: {log}")
                    seen.append(line.decode(errors="replace"))
        except TimeoutError:
            raise FarmStartError(f"{name} did not start in {START_SECONDS:.0f} s: {log}") from None
        finally:
            await asyncio.to_thread(log.write_text, "".join(seen))
        task = asyncio.get_running_loop().create_task(self._keep_log(process, log))
        self._logging.add(task)
        task.add_done_callback(self._logging.discard)
        return "".join(seen)

    @staticmethod
    async def _keep_log(process: asyncio.subprocess.Process, log: Path) -> None:
        assert process.stdout is not None
        with log.open("ab") as sink:
            while line := await process.stdout.readline():
                sink.write(line)
                sink.flush()

    async def stop(self) -> None:
        """Exporters first, so the coordinator sees them go; then the rest."""
        for _, process in sorted(self._processes, key=lambda p: not p[0].startswith("exp")):
            if process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), STOP_SECONDS)
                except TimeoutError:
                    with contextlib.suppress(ProcessLookupError):
                        process.kill()
                    await process.wait()
        self._processes.clear()
        await asyncio.gather(*self._logging)

    def _write(self, name: str, content: dict[str, Any]) -> None:
        (self.folder / name).write_text(yaml.safe_dump(content, sort_keys=False))
