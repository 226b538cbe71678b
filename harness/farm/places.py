"""A worker's side of the farm: reserve a place by its tags, wait while all are
busy, acquire it, wire its drivers, and give it back.

Reservations are labgrid's (`labgrid-client reserve --wait` semantics: the
coordinator allocates a free place whose tags match, oldest waiting first, and
never one that somebody holds). Each worker is its own labgrid user,
`HOST/USER.WORKER.PID`, so no worker can take or use a place that another one
holds, be it a worker of the same run, another CI job or an engineer. A worker
never waits while it holds places: it gives its idle ones back first, so two
workers can never each hold what the other waits for.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import attr
import grpc
from labgrid.remote.client import ClientSession, ServerError
from labgrid.remote.common import Reservation, ReservationState
from labgrid.remote.generated import labgrid_coordinator_pb2 as messages
from labgrid.remote.generated.labgrid_coordinator_pb2_grpc import CoordinatorStub
from labgrid.resource.remote import RemotePlace, RemotePlaceManager
from labgrid.target import Target

from harness.farm import resources as resources  # registers the farm's resources with labgrid
from harness.farm.guard import Guard
from harness.farm.wiring import Wiring, wire

POLL_SECONDS = 1.0
"""How often a waiting reservation is polled, as `labgrid-client reserve --wait` does;
each poll also keeps it from expiring."""
DEFAULT_PORT = 20408
CHANNEL_OPTIONS = [
    # labgrid's own keepalive (labgrid.remote.client.ClientSession) ...
    ("grpc.keepalive_time_ms", 7500),
    ("grpc.keepalive_timeout_ms", 10000),
    ("grpc.http2.ping_timeout_ms", 10000),
    ("grpc.http2.max_pings_without_data", 0),
    # ... on a connection that no other channel of the process shares
    ("grpc.use_local_subchannel_pool", 1),
]


class FarmError(RuntimeError):
    """The farm cannot give a place; the message says why."""


def identity(environment: Mapping[str, str]) -> tuple[str, str]:
    """This worker's labgrid host and user: labgrid's own (LG_HOSTNAME, LG_USERNAME),
    with the xdist worker and the process, so that two workers are two users."""
    host = environment.get("LG_HOSTNAME") or socket.gethostname()
    user = environment.get("LG_USERNAME") or getpass.getuser()
    worker = environment.get("PYTEST_XDIST_WORKER", "main")
    return host, f"{user}.{worker}.{os.getpid()}"


@attr.s(eq=False)
class WorkerSession(ClientSession):
    """labgrid's client session under this worker's own identity, on a connection of
    its own. The coordinator tells its clients apart by their connection, and gRPC
    shares one connection among the channels of a process to the same address: two
    sessions in one process (a test playing two workers) would be one client."""

    host: str = attr.ib(default="", validator=attr.validators.instance_of(str))
    user: str = attr.ib(default="", validator=attr.validators.instance_of(str))
    channel: Any

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        shared = self.channel
        self.channel = grpc.aio.insecure_channel(self.address, options=CHANNEL_OPTIONS)
        self.stub = CoordinatorStub(self.channel)
        self._closing_shared = asyncio.get_running_loop().create_task(shared.close())

    def gethostname(self) -> str:
        return str(self.host)

    def getuser(self) -> str:
        return str(self.user)


@dataclass
class HeldPlace:
    name: str
    tags: dict[str, str]
    exporter: str
    target: Target
    wiring: Wiring
    token: str

    @property
    def address(self) -> str:
        return str(self.wiring.device.address).upper()

    @property
    def label(self) -> str:
        return str(self.wiring.device.label or self.name)


@dataclass
class Places:
    coordinator: str
    host: str
    user: str
    wait: float
    """Seconds to wait for a free place before giving up."""
    held: list[HeldPlace] = field(default_factory=list)
    session: Any = None
    guard: Guard | None = None

    @property
    def owner(self) -> str:
        return f"{self.host}/{self.user}"

    async def open(self) -> None:
        """Must run on the loop that will use the places: labgrid's session is bound to it."""
        address = (
            self.coordinator if ":" in self.coordinator else f"{self.coordinator}:{DEFAULT_PORT}"
        )
        session = WorkerSession(  # type: ignore[call-arg]  # labgrid's fields, untyped
            address=address, loop=asyncio.get_running_loop(), host=self.host, user=self.user
        )
        try:
            await session.start()
        except ServerError:
            await session.close()
            raise FarmError(f"no labgrid coordinator at {address}") from None
        self.session = session
        self.guard = Guard.spawn(address, self.owner)

    def offers(self, tags: Mapping[str, str]) -> bool:
        """Whether any place of the farm carries these tags, busy or not."""
        wanted = set(tags.items())
        return any(wanted <= set(place.tags.items()) for place in self.session.places.values())

    async def take(self, tags: Mapping[str, str]) -> HeldPlace:
        """A place with these tags, held by this worker until `give_back`."""
        guard = self._guard()
        reply = await self._call(
            self.session.stub.CreateReservation,
            messages.CreateReservationRequest(
                filters={"main": messages.Reservation.Filter(filter=dict(tags))}, prio=0.0
            ),
        )
        token = reply.reservation.token
        guard.tell("wait", token)
        name = ""
        try:
            name = await self._allocated(token, tags)
            guard.tell("hold", name)
            await self._call(
                self.session.stub.AcquirePlace, messages.AcquirePlaceRequest(placename=name)
            )
            await self.session.sync_with_coordinator()
            held = self._wired(name, token)
        except BaseException:
            await self._cancel(token)
            if name:
                await self._release(name)
            raise
        self.held.append(held)
        await asyncio.to_thread(held.wiring.strategy.transition, "on")
        return held

    async def _allocated(self, token: str, tags: Mapping[str, str]) -> str:
        """The place the coordinator allocates; idle places go back before any wait."""
        deadline = asyncio.get_running_loop().time() + self.wait
        while True:
            reply = await self._call(
                self.session.stub.PollReservation, messages.PollReservationRequest(token=token)
            )
            reservation = Reservation.from_pb2(reply.reservation)
            if reservation.state in (ReservationState.allocated, ReservationState.acquired):
                return str(reservation.allocations["main"][0])
            if reservation.state is not ReservationState.waiting:
                raise FarmError(
                    f"reservation {token} for {_tags(tags)} is {reservation.state.name}"
                )
            for held in list(self.held):
                await self.give_back(held)
            if asyncio.get_running_loop().time() > deadline:
                raise FarmError(f"no place with {_tags(tags)} came free in {self.wait:g} s")
            await asyncio.sleep(POLL_SECONDS)

    def _wired(self, name: str, token: str) -> HeldPlace:
        """labgrid makes a place's resources through one manager per process, from the
        session it was last given (as `labgrid-client` gives it its own)."""
        place = self.session.places[name]
        manager = RemotePlaceManager.get()
        manager.session, manager.loop = self.session, self.session.loop
        target = Target(name)
        RemotePlace(target, name=name)
        exporters = sorted({path[0] for path in place.acquired_resources})
        return HeldPlace(name, dict(place.tags), ", ".join(exporters), target, wire(target), token)

    async def give_back(self, held: HeldPlace) -> None:
        """Power off (where wired), then cancel the reservation before releasing: the
        coordinator allocates a released place to the next waiter only once no
        reservation holds it any more."""
        self.held.remove(held)
        try:
            with contextlib.suppress(Exception):  # a broken strategy must not keep the place
                await asyncio.to_thread(held.wiring.strategy.transition, "off")
            held.target.cleanup()
        finally:
            await self._cancel(held.token)
            await self._release(held.name)

    async def _release(self, name: str) -> None:
        """Only if this worker holds it: a place nobody holds is released already."""
        await self._call(
            self.session.stub.ReleasePlace,
            messages.ReleasePlaceRequest(placename=name, fromuser=self.owner),
        )
        self._guard().tell("drop", name)

    async def _cancel(self, token: str) -> None:
        with contextlib.suppress(FarmError):
            await self._call(
                self.session.stub.CancelReservation, messages.CancelReservationRequest(token=token)
            )
        self._guard().tell("done", token)

    async def close(self) -> None:
        try:
            for held in list(self.held):
                await self.give_back(held)
        finally:
            if self.session is not None:
                await self.session.stop()
                await self.session.close()
            if self.guard is not None:
                await asyncio.to_thread(self.guard.close)

    def _guard(self) -> Guard:
        if self.guard is None:
            raise FarmError("the farm is not open")
        return self.guard

    @staticmethod
    async def _call(method: Any, message: Any) -> Any:
        try:
            return await method(message)
        except grpc.aio.AioRpcError as error:
            raise FarmError(f"labgrid coordinator: {error.details()}") from None


def _tags(tags: Mapping[str, str]) -> str:
    return " ".join(f"{key}={value}" for key, value in tags.items())
