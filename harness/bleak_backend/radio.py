"""The client's side of the radio: one central bumble device, like one adapter.

A real adapter serves every scanner and client of a process: scanning is shared
(active wins over passive, as BlueZ merges discovery filters), LE connections
are created one at a time, and bonds live in one key store. This module gives
the backend that adapter, on a `VirtualLink` in this process (`use_link`) or on
a bumble HCI transport such as the HCI server's `tcp-client:127.0.0.1:PORT`
(named by the `IQOS_HIL_HCI` environment variable).
"""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import Callable

from bumble.device import Connection
from bumble.host import Host
from bumble.keys import MemoryKeyStore
from bumble.pairing import PairingConfig, PairingDelegate
from bumble.transport import open_transport
from bumble.transport.common import Transport

from simulator.radio.link import VirtualDevice, VirtualLink

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
        self._powering = asyncio.Lock()
        self._connecting = asyncio.Lock()
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
        """The central device, powered on at first use."""
        async with self._powering:
            if self._device is None:
                device = await self._create()
                device.keystore = self.keystore
                device.pairing_config_factory = self._pairing_config
                await device.power_on()
                self._device = device
        return self._device

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

    # --- connecting --------------------------------------------------------------------

    @property
    def connecting(self) -> asyncio.Lock:
        """Held while an LE connection is being created: a controller initiates one at a time."""
        return self._connecting

    # --- scanning ----------------------------------------------------------------------

    async def start_scanning(self, scanner: object, active: bool) -> None:
        """Add a scanner; scanning restarts so that it hears every device afresh.

        The controller filters duplicates (as the kernel does under BlueZ): a
        device is reported again only when its data or RSSI change. A restart
        clears that filter, so a scanner that joins late is not left with
        nothing to hear.
        """
        self._scanners[scanner] = active
        await self._apply_scanning(restart=True)

    async def stop_scanning(self, scanner: object) -> None:
        if self._scanners.pop(scanner, None) is not None:
            await self._apply_scanning(restart=False)

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
