"""The client's side of the radio: one central bumble device, like one adapter.

A real adapter serves every scanner and client of a process: scanning is shared
(active wins over passive, as BlueZ merges discovery filters), LE connections
are created one at a time, and bonds live in one key store. This module gives
the backend that adapter, on a `VirtualLink` in this process (`use_link`) or on
a bumble HCI transport such as the HCI server's `tcp-client:127.0.0.1:PORT`
(named by the `IQOS_HIL_HCI` environment variable).

Whatever sends an HCI command or an ATT request runs to its end here, even when
its caller gives up: bumble cannot take half a request back (see `complete`),
and a connect abandoned half-way is taken back before its caller returns (see
`connect`). docs/reliability.md tells what went wrong before.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import weakref
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

from bumble import core, hci
from bumble.device import Connection
from bumble.host import Host
from bumble.keys import MemoryKeyStore
from bumble.pairing import PairingConfig, PairingDelegate
from bumble.transport import open_transport
from bumble.transport.common import Transport

from simulator.radio.link import VirtualDevice, VirtualLink

T = TypeVar("T")
LINK_ERRORS = (core.BaseBumbleError, hci.HCI_Error, ConnectionError)
"""What bumble raises when a link, a pairing or an HCI command fails."""
TAKE_BACK_SECONDS = 1.0
"""How long a connect that gave up waits for its attempt to be taken back, which
takes a command or two (milliseconds) on a working controller; past that it goes on
in the background, and the next connect waits for it within its own deadline."""
ENVIRONMENT_VARIABLE = "IQOS_HIL_HCI"
PREFERRED_MTU = 517
"""What BlueZ asks for on every LE link, so the virtual target negotiates the same."""


class _KeyboardDelegate(PairingDelegate):
    """Types a known passkey, as a person would read it off the peripheral's display."""

    def __init__(self, passkey: int) -> None:
        super().__init__(io_capability=PairingDelegate.IoCapability.KEYBOARD_INPUT_ONLY)
        self._passkey = passkey

    async def get_number(self) -> int | None:
        return self._passkey


class ClientRadio:
    """One central, shared by every BleakScanner and BleakClient that uses the radio."""

    def __init__(
        self,
        make_device: Callable[[], VirtualDevice] | None = None,
        transport_spec: str | None = None,
        keystore: MemoryKeyStore | None = None,
    ) -> None:
        self._make_device = make_device
        self.transport_spec = transport_spec
        self.keystore = keystore if keystore is not None else MemoryKeyStore()
        self.passkey: int | None = None
        """Passkey entered when a peripheral asks for one; None pairs Just Works."""
        self._passkeys: dict[int, int] = {}
        self._device: VirtualDevice | None = None
        self._transport: Transport | None = None
        self._powering: asyncio.Task[VirtualDevice] | None = None
        self._initiating = asyncio.Lock()
        self._taking_back: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[Any]] = set()
        self._scanners: dict[object, bool] = {}
        self._scanning_active: bool | None = None
        self._scan_lock = asyncio.Lock()

    @classmethod
    def on_link(cls, link: VirtualLink, name: str = "iqos-hil-central") -> ClientRadio:
        return cls(make_device=lambda: link.add_device(name))

    @classmethod
    def over_transport(cls, spec: str, keystore: MemoryKeyStore | None = None) -> ClientRadio:
        return cls(transport_spec=spec, keystore=keystore)

    async def central(self) -> VirtualDevice:
        """The central device, powered on at first use (by the first caller's request,
        which completes even if that caller gives up; a failed power-on is tried again)."""
        if self._powering is None:
            self._powering = self.keep(self._power_on())
            self._powering.add_done_callback(self._powered)
        return await asyncio.shield(self._powering)

    async def _power_on(self) -> VirtualDevice:
        device = await self._create()
        device.keystore = self.keystore
        device.pairing_config_factory = self._pairing_config
        await device.power_on()
        self._device = device
        return device

    def _powered(self, task: asyncio.Task[VirtualDevice]) -> None:
        if task.cancelled() or task.exception() is not None:
            self._powering = None

    async def _create(self) -> VirtualDevice:
        if self._make_device is not None:
            return self._make_device()
        assert self.transport_spec is not None
        transport = await open_transport(self.transport_spec)
        self._transport = transport
        host = Host(transport.source, transport.sink)
        return VirtualDevice(name="iqos-hil-central", host=host)

    async def close(self) -> None:
        """Let go of the transport; the HCI server then drops this client's links."""
        if self._transport is not None:
            await self._transport.close()
            self._transport = None
        self._device = None
        self._powering = None

    @property
    def device(self) -> VirtualDevice | None:
        return self._device

    # --- pairing ---------------------------------------------------------------------

    def _pairing_config(self, connection: Connection) -> PairingConfig:
        passkey = self._passkeys.get(connection.handle, self.passkey)
        delegate: PairingDelegate
        if passkey is None:
            delegate = PairingDelegate(
                io_capability=PairingDelegate.IoCapability.NO_OUTPUT_NO_INPUT
            )
        else:
            delegate = _KeyboardDelegate(passkey)
        return PairingConfig(
            sc=True,
            mitm=passkey is not None,
            bonding=True,
            identity_address_type=PairingConfig.AddressType.RANDOM,
            delegate=delegate,
        )

    def use_passkey(self, connection: Connection, passkey: int | None) -> None:
        """The passkey for the next pairing on this connection only."""
        if passkey is None:
            self._passkeys.pop(connection.handle, None)
        else:
            self._passkeys[connection.handle] = passkey

    # --- requests that run to their end -----------------------------------------------

    def keep(self, operation: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run `operation` as a task the radio holds until it ends."""
        task = asyncio.get_running_loop().create_task(operation)
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return task

    async def complete(self, operation: Coroutine[Any, Any, T]) -> T:
        """`operation`'s outcome; a caller that gives up stops waiting, not the operation.

        bumble cannot take half a request back. `Host._send_command` frees the command
        slot when its waiter is cancelled, and `Host.on_command_processed` hands the late
        Command Complete to whichever command waits next (an opcode mismatch is only
        logged); `gatt_client.Client.send_request` does the same with a late ATT response,
        so the next read would return the previous one's value. Anything that sends an
        HCI command or an ATT request therefore runs in a task of its own.
        """
        return await asyncio.shield(self.keep(operation))

    async def settled(self) -> None:
        """Return once every operation the radio runs has ended, those whose callers
        gave up included: the evidence that a failed call left nothing behind."""
        while self._running:
            await asyncio.wait(list(self._running))

    # --- connecting --------------------------------------------------------------------

    async def connect(self, peer: hci.Address, deadline: float) -> Connection:
        """An LE link to `peer` by `deadline` (event-loop time), else TimeoutError.

        A controller initiates one connection at a time, so connects queue here. A
        caller that gives up, at its deadline or cancelled, has the attempt taken back
        before it returns: otherwise the controller goes on initiating, connects when
        the peer next advertises, and the peer, connected to a host that no longer
        wants it, stops advertising for every later client.
        """
        async with asyncio.timeout_at(deadline):
            device = await self.central()
        async with self._initiating:
            if self._taking_back is not None:
                async with asyncio.timeout_at(deadline):
                    await asyncio.shield(self._taking_back)
            attempt = _Attempt(self, device, peer)
            try:
                async with asyncio.timeout_at(deadline):
                    return await asyncio.shield(attempt.task)
            except BaseException:
                self._taking_back = self.keep(attempt.take_back())
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(TAKE_BACK_SECONDS):
                        await asyncio.shield(self._taking_back)
                raise

    # --- scanning ----------------------------------------------------------------------

    async def start_scanning(self, scanner: object, active: bool) -> None:
        """Add a scanner; scanning restarts so that it hears every device afresh.

        The controller filters duplicates (as the kernel does under BlueZ): a
        device is reported again only when its data or RSSI change. A restart
        clears that filter, so a scanner that joins late is not left with
        nothing to hear.
        """
        self._scanners[scanner] = active
        await self.complete(self._apply_scanning(restart=True))

    async def stop_scanning(self, scanner: object) -> None:
        if self._scanners.pop(scanner, None) is not None:
            await self.complete(self._apply_scanning(restart=False))

    async def _apply_scanning(self, restart: bool) -> None:
        async with self._scan_lock:
            device = await self.central()
            wanted = any(self._scanners.values()) if self._scanners else None
            if wanted == self._scanning_active and not (restart and wanted is not None):
                return
            if self._scanning_active is not None:
                await device.stop_scanning()
                self._scanning_active = None
            if wanted is not None:
                await device.start_scanning(active=wanted, filter_duplicates=True)
                self._scanning_active = wanted


class _Attempt:
    """One LE connection being created, with every central link made meanwhile (the
    radio creates one at a time, so those are this attempt's), to take it back."""

    def __init__(self, radio: ClientRadio, device: VirtualDevice, peer: hci.Address) -> None:
        self.device = device
        self.links: list[Connection] = []
        self.task = radio.keep(self._run(radio, peer))

    async def _run(self, radio: ClientRadio, peer: hci.Address) -> Connection:
        """`Device.connect_le` with no timeout of its own: the caller's deadline rules.

        For a bonded peer, `connect_le` first calls `find_peer_by_identity_address`,
        which scans, with no timeout, until the peer advertises, and starts and stops
        that scan itself unless the device scans already. Scanning is held here for
        the while, so that the look-out sends no HCI command and can be cancelled;
        and it is restarted once bumble listens (`_rescanning_once_listened`),
        because the controller reports a device once per scan: a report that came
        between the scan's start and bumble's listener would be the last one bumble
        could hear.
        """
        device = self.device
        device.on(device.EVENT_CONNECTION, self._on_connection)
        try:
            resolver = device.address_resolver
            if resolver is None or not resolver.can_resolve_to(peer):
                return await device.connect(peer, timeout=None)
            lookout = object()
            try:
                await radio.start_scanning(lookout, active=False)
                with _rescanning_once_listened(radio, device):
                    return await device.connect(peer, timeout=None)
            finally:
                await radio.stop_scanning(lookout)
        finally:
            device.remove_listener(device.EVENT_CONNECTION, self._on_connection)

    def _on_connection(self, connection: Connection) -> None:
        if connection.role == hci.Role.CENTRAL:
            self.links.append(connection)

    async def take_back(self) -> None:
        """End the attempt, leaving neither initiating nor a link behind.

        bumble sets `connect_own_address_type` just before it sends LE Create
        Connection, and `le_connecting` once the controller has accepted it; both
        are cleared when `connect_le` ends. Unset, the attempt is only looking out
        for the peer (or done with its LE part) and is cancelled. Set, the
        controller is told to stop (LE Create Connection Cancel): either it had not
        connected yet, and the attempt fails, or it had (the cancel is refused).
        Any link made is then dropped.
        """
        device = self.device
        if device.connect_own_address_type is None:
            self.task.cancel()
        else:
            async with device.host.command_semaphore:
                pass  # LE Create Connection, if still in flight, has been answered
            if device.is_le_connecting:
                with contextlib.suppress(hci.HCI_Error):
                    await device.send_sync_command(hci.HCI_LE_Create_Connection_Cancel_Command())
        await asyncio.wait([self.task])
        if not self.task.cancelled():
            self.task.exception()  # retrieved: a failed attempt is what was asked for
        for link in self.links:
            await drop(link)


@contextlib.contextmanager
def _rescanning_once_listened(radio: ClientRadio, device: VirtualDevice) -> Iterator[None]:
    """While inside, the first listener added for `device`'s advertisements (that of
    the look-out `connect_le` starts without awaiting anything) restarts the radio's
    scan, which clears the controller's duplicate filter. pyee announces a listener
    just before adding it; the restart, a task of its own, runs after.

    Without it, one connect to a bonded peer in some 2,000 under tracemalloc waited
    until its deadline, and so did the two after it: the peer's report came in the
    turns of the loop between the scan's start and bumble's listener (more real time
    than its advertising interval, 20 ms for the simulated devices), and the
    controller filtered every later one as a duplicate.
    """

    def on_new_listener(event: str, _listener: object) -> None:
        if event == device.EVENT_ADVERTISEMENT:
            device.remove_listener("new_listener", on_new_listener)
            radio.keep(radio._apply_scanning(restart=True))

    device.on("new_listener", on_new_listener)
    try:
        yield
    finally:
        if on_new_listener in device.listeners("new_listener"):
            device.remove_listener("new_listener", on_new_listener)


async def drop(connection: Connection) -> None:
    """Disconnect, unless the link is gone already: bumble's `Device.disconnect` waits
    for a Disconnection Complete without a timeout."""
    if connection.device.connections.get(connection.handle) is not connection:
        return
    with contextlib.suppress(*LINK_ERRORS):
        await connection.disconnect()


_current: ClientRadio | None = None
_from_environment: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, ClientRadio]] = (
    weakref.WeakKeyDictionary()
)
_keystores: dict[str, MemoryKeyStore] = {}


def use_link(link: VirtualLink | None) -> ClientRadio | None:
    """Point the backend at a virtual link in this process (None lets go of it)."""
    global _current
    _current = ClientRadio.on_link(link) if link is not None else None
    return _current


def configured() -> bool:
    """Whether the backend has a radio: a link in this process or `IQOS_HIL_HCI`."""
    return _current is not None or bool(os.environ.get(ENVIRONMENT_VARIABLE))


def current() -> ClientRadio:
    """The radio in use: the link given to `use_link`, else the `IQOS_HIL_HCI` transport.

    A transport belongs to one event loop, so each loop gets its own central on
    it; the key store is kept per transport, so bonds outlive the loop, as they
    outlive a process on a real host.
    """
    if _current is not None:
        return _current
    spec = os.environ.get(ENVIRONMENT_VARIABLE)
    if not spec:
        raise RuntimeError(
            "the bumble bleak backend has no radio: call harness.bleak_backend.use_link(link)"
            f" or set {ENVIRONMENT_VARIABLE}=tcp-client:127.0.0.1:PORT"
        )
    radios = _from_environment.setdefault(asyncio.get_running_loop(), {})
    radio = radios.get(spec)
    if radio is None:
        keystore = _keystores.setdefault(spec, MemoryKeyStore())
        radio = radios[spec] = ClientRadio.over_transport(spec, keystore)
    return radio
