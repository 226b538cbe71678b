"""IqosClient: pair, read, diagnose, reset and configure one IQOS device over bleak.

Only bleak's public API is used, so the same code drives a simulated device
on the virtual radio and a real one on a bench adapter.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from bleak import BleakClient
from bleak.args.bluez import BlueZNotifyArgs
from bleak.backends.device import BLEDevice
from bleak.exc import BleakDeviceNotFoundError, BleakError

from iqos.diagnostics import Diagnostics, findings
from iqos.discovery import find_by_address
from iqos.errors import (
    BadAnswer,
    BenchRefused,
    Disconnected,
    IqosError,
    NotAdvertising,
    NotSupported,
    OperationTimeout,
    PairingRefused,
)
from iqos.protocol import (
    BatteryInformation,
    DeviceStatus,
    ExtendedFrame,
    Frame,
    Node,
    ProtocolError,
    ShortFrame,
)
from iqos.protocol.model import Capability, ModelSpec
from iqos.protocol.registers import (
    FirmwareVersion,
    HolderRegister,
    Register,
    UsageCounters,
    VibrationSettings,
    clock_read,
    clock_write,
    decode_battery_voltage,
    decode_brightness,
    decode_clock,
    decode_lock,
    decode_text,
    encode_brightness,
    encode_find_my,
    encode_lock,
    read_request,
    usage_counters_read,
    write_request,
)
from iqos.protocol.status import StatusBit7
from iqos.protocol.transcript import Direction, Transcript, characteristic_name
from iqos.protocol.uuids import (
    BATTERY_INFORMATION,
    DEVICE_STATUS,
    SCP_CONTROL_POINT,
    SERIAL_NUMBER,
)
from iqos.redact import mask_serial
from iqos.scp_channel import DEFAULT_TIMEOUT, ScpChannel

CONNECT_ATTEMPTS = 3
BLUEZ_RACE_RETRIES = 5
"""Extra connects for two BlueZ races, each costing a link, not a timeout; the next
connect usually wins (docs/bluez-lane.md):

- when bluetoothd sees the ATT channel up before the kernel's Device Connected
  event, it answers Connect but never signals `Connected`, and bleak, seeing it
  still false, fails at once with UNSIGNALLED_CONNECT and drops the link;
- when bluetoothd sends any D-Bus message while it finishes a GATT discovery, it
  signals `ServicesResolved` before it has exported the services, and bleak
  builds the device's services without them (see REQUIRED_CHARACTERISTICS)."""
UNSIGNALLED_CONNECT = "failed to discover services, device disconnected"
REQUIRED_CHARACTERISTICS = (SCP_CONTROL_POINT, BATTERY_INFORMATION, DEVICE_STATUS)
"""What every IQOS serves and this client uses; a connect that shows fewer is retried."""
RECONNECT_PAUSE = 1.0
"""Seconds between the app's attempts to reconnect on its own, and before the first:
a device that dropped the link on purpose is not taken again at once."""
LOSS_GRACE = 2.0
"""Seconds a refused read waits to see whether the link goes with it: a device that
drops the link instead of answering may get a refusal out first (bless answers every
read it is asked; a host answers a pending read with an error as the link goes), and
what the user is told is then that the device disconnected."""
T = TypeVar("T")
Notification = BatteryInformation | DeviceStatus


class IqosClient:
    """One device, with every wait bounded by `timeout` (seconds).

    Each step the client waits for has that deadline: a scan, a connect attempt
    (at most CONNECT_ATTEMPTS), pairing, each read, each SCP request (writes and
    answer), each subscription, a disconnect. A step past its deadline raises
    OperationTimeout (DeviceNotFound for a scan), whatever the backend would have
    waited: bumble's ATT requests wait 30 s, its connect to a bonded device for ever.

    With `reconnect_seconds`, a link lost (not closed by the client) is taken up
    again in the background as soon as the device is heard, with the bond, as the
    official app does; after that many seconds without the device it gives up.

    With `scan_window`, a scan for the device that has not heard it after that many
    seconds starts again, within the same deadline: for radios that report a device
    once per scan start and may lose that report (BlueZ over btvirt, docs/speed.md).
    """

    def __init__(
        self,
        address: str,
        model: ModelSpec | None = None,
        *,
        client_backend: Any = None,
        scanner_backend: Any = None,
        adapter: str | None = None,
        device: BLEDevice | None = None,
        transcript: Transcript | None = None,
        allowed_addresses: frozenset[str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        reconnect_seconds: float = 0.0,
        scan_window: float | None = None,
        **_: Any,
    ) -> None:
        if allowed_addresses is not None:
            # Every way of naming the device must be on the bench, the scanned BLEDevice
            # included: a bench address with another device's handle would connect there.
            for named in {address, device.address if device is not None else address}:
                if named.upper() not in allowed_addresses:
                    raise BenchRefused(f"refused: {named} is not on the bench")
        if device is not None and device.address.upper() != address.upper():
            raise ValueError(f"device {device.address} is not the device at {address}")
        self.address = address
        self.model = model
        self.timeout = timeout
        self._backend = client_backend
        self._scanner_backend = scanner_backend
        self._adapter = adapter
        self._device = device
        self._transcript = transcript or Transcript()
        self._client: BleakClient | None = None
        self._channel: ScpChannel | None = None
        self._subscribers: list[asyncio.Queue[Notification]] = []
        self._leaving = False
        self.reconnect_seconds = reconnect_seconds
        self.scan_window = scan_window
        self._reconnecting: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()

    # --- link -------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    @property
    def reconnecting(self) -> bool:
        """Whether the client is reconnecting on its own (`reconnect_in_background`)."""
        return self._reconnecting is not None and not self._reconnecting.done()

    def reconnect_in_background(self) -> None:
        """Connect again with the bond as soon as the device is heard, as the official
        app does after a lost link and when it starts; give up after
        `reconnect_seconds`. A connect asked for meanwhile takes over from it."""
        if not self.reconnecting:
            self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        try:
            async with asyncio.timeout(self.reconnect_seconds):
                while not self.connected:
                    await asyncio.sleep(RECONNECT_PAUSE)
                    with contextlib.suppress(IqosError):
                        await self._connect()
        except TimeoutError:
            self._transcript.note(f"not heard again within {self.reconnect_seconds:g} s")
            return
        self._transcript.note("reconnected on its own")

    async def reconnected(self) -> bool:
        """Whether the link is up once the reconnect under way, if any, has ended; it
        ends by `reconnect_seconds`."""
        task = self._reconnecting
        if task is not None:
            await asyncio.wait([task])
        return self.connected

    async def _stop_reconnecting(self) -> None:
        task, self._reconnecting = self._reconnecting, None
        if task is None or task is asyncio.current_task() or task.done():
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def connect(self) -> None:
        """Connect (a bonded device re-encrypts); transient failures are retried.

        The device is found by a scan once and remembered: bleak's BlueZ backend
        would scan before every connect given an address. A remembered device
        that is gone (BlueZ dropped it) is looked for again on the next attempt."""
        await self._stop_reconnecting()
        await self._connect()

    async def _connect(self) -> None:
        if self.connected:
            return
        options: dict[str, Any] = {"timeout": self.timeout}
        if self._backend is not None:
            options["backend"] = self._backend
        if self._adapter is not None:
            options["bluez"] = {"adapter": self._adapter}
        last: Exception | None = None
        failures = races = 0
        while failures < CONNECT_ATTEMPTS:
            device = self._device or await self._find()
            client = BleakClient(device, disconnected_callback=self._on_lost, **options)
            try:
                async with asyncio.timeout(self.timeout):
                    await client.connect()
            except BleakDeviceNotFoundError as error:
                raise self._not_advertising() from error
            except (BleakError, TimeoutError, OSError) as error:
                last = error
                if str(error) == UNSIGNALLED_CONNECT and races < BLUEZ_RACE_RETRIES:
                    races += 1
                    self._transcript.note(f"connect not signalled by BlueZ, again: {error}")
                    continue
                failures += 1
                self._device = None
                continue
            missing = [
                characteristic_name(uuid)
                for uuid in REQUIRED_CHARACTERISTICS
                if client.services.get_characteristic(uuid) is None
            ]
            if missing:
                with contextlib.suppress(BleakError, TimeoutError, OSError):
                    async with asyncio.timeout(self.timeout):
                        await client.disconnect()
                if races >= BLUEZ_RACE_RETRIES:
                    raise BadAnswer(
                        f"{self.address} serves no {', '.join(missing)} (over {races + 1} connects)"
                    )
                races += 1
                self._transcript.note(f"services reported without {', '.join(missing)}, again")
                continue
            self._client = client
            self._lost.clear()
            self._device = device
            self._channel = None
            self._leaving = False
            self._transcript.note(f"connected to {self.address}")
            return
        raise OperationTimeout(f"could not connect to {self.address}: {last}")

    async def _find(self) -> BLEDevice:
        device = await find_by_address(
            self.address,
            self.timeout,
            scan_window=self.scan_window,
            scanner_backend=self._scanner_backend,
            adapter=self._adapter,
        )
        if device is None:
            raise self._not_advertising()
        return device

    def _not_advertising(self) -> NotAdvertising:
        """No scan heard the device. Devices advertise only for a while after a button
        press (docs/protocol.md, advertising window), so that is the advice, not a wait."""
        return NotAdvertising(f"{self.address} is not advertising: {NotAdvertising.advice}")

    def _on_lost(self, client: BleakClient) -> None:
        if client is not self._client:
            return  # a link this client dropped while connecting
        self._lost.set()
        if self._channel is not None:
            self._channel.link_lost()
        self._channel = None
        self._transcript.note("link lost")
        if self.reconnect_seconds > 0 and not self._leaving:
            self.reconnect_in_background()

    async def disconnect(self) -> None:
        """Drop the link, and stop reconnecting; the link is forgotten even if the
        backend does not confirm in time."""
        await self._stop_reconnecting()
        try:
            if self._client is not None:
                self._leaving = True
                await self._within(self._client.disconnect(), "disconnecting from")
                self._transcript.note("disconnected by the app")
        finally:
            self._client = None
            self._channel = None

    async def _within(self, operation: Awaitable[T], what: str) -> T:
        """`operation` by the client's deadline; a backend's timeout is OperationTimeout."""
        try:
            async with asyncio.timeout(self.timeout):
                return await operation
        except TimeoutError:
            raise OperationTimeout(
                f"{what} {self.address}: nothing within {self.timeout:g} s"
            ) from None

    def _link(self) -> BleakClient:
        if self._client is None or not self._client.is_connected:
            raise Disconnected(f"not connected to {self.address}")
        return self._client

    async def pair(self) -> None:
        """Just Works pairing with bonding; the device must be in pairing mode."""
        await self.connect()
        try:
            await self._within(self._link().pair(), "pairing with")
        except BleakError as error:
            with contextlib.suppress(OperationTimeout):
                await self.disconnect()
            raise PairingRefused(f"{self.address} refused pairing: {error}") from error
        except OperationTimeout:
            with contextlib.suppress(OperationTimeout):
                await self.disconnect()
            raise
        self._transcript.note("paired")

    async def unpair(self) -> None:
        """Forget the bond on this side and drop the link."""
        if self._client is None:
            await self.connect()
        client = self._link()
        self._leaving = True
        await self._within(client.unpair(), "unpairing from")
        self._client = None
        self._device = None
        self._channel = None
        self._transcript.note("unpaired")

    async def is_paired(self) -> bool:
        """True when the link can be encrypted: the encrypted battery read succeeds."""
        await self.connect()
        try:
            await self._read(BATTERY_INFORMATION)
        except BadAnswer:
            return False
        return True

    # --- reads ------------------------------------------------------------------------

    async def _read(self, uuid: str) -> bytes:
        client = self._link()
        try:
            data = bytes(await self._within(client.read_gatt_char(uuid), f"reading {uuid} of"))
        except BleakError as error:
            if await self._goes_with(client):
                raise Disconnected(f"link lost while reading {uuid}") from error
            raise BadAnswer(f"read of {uuid} refused: {error}") from error
        self._transcript.record(Direction.READ, uuid, data)
        return data

    async def _goes_with(self, client: BleakClient) -> bool:
        """Whether the link is lost within LOSS_GRACE (and the client's deadline)."""
        if not client.is_connected:
            return True
        try:
            async with asyncio.timeout(min(LOSS_GRACE, self.timeout)):
                await self._lost.wait()
        except TimeoutError:
            return False
        return True

    async def battery(self) -> BatteryInformation:
        await self.connect()
        return self._decode(BatteryInformation.decode, await self._read(BATTERY_INFORMATION))

    async def status(self) -> DeviceStatus:
        await self.connect()
        return self._decode(self._decode_status, await self._read(DEVICE_STATUS))

    def _decode_status(self, data: bytes) -> DeviceStatus:
        """Status flag bit 7 reads as the model's profile says (`protocol.status_bit7`)."""
        reading = self.model.status_bit7 if self.model is not None else StatusBit7.AMBIENT
        return DeviceStatus.decode(data, reading)

    @staticmethod
    def _decode(decoder: Callable[[bytes], T], data: bytes) -> T:
        try:
            return decoder(data)
        except ProtocolError as error:
            raise BadAnswer(str(error)) from error

    async def serial(self, full: bool = False) -> str:
        await self.connect()
        text = (await self._read(SERIAL_NUMBER)).rstrip(b"\x00").decode("ascii", "replace")
        return text if full else mask_serial(text)

    async def request(self, frame: Frame, timeout: float | None = None) -> Frame:
        """One SCP request and its answer; a bad or missing answer is a typed error."""
        await self.connect()
        if self._channel is None or not self._channel.open:
            self._channel = ScpChannel(self._link(), self._transcript)
            try:
                await self._within(self._channel.start(), "subscribing to the control point of")
            except BleakError as error:
                raise BadAnswer(f"cannot subscribe to the control point: {error}") from error
        return await self._channel.request(frame, timeout or self.timeout)

    async def _register(self, register: int, node: Node = Node.CHARGER) -> bytes:
        reply = await self.request(read_request(node, register))
        assert isinstance(reply, ShortFrame)
        return reply.data

    async def firmware_version(self) -> FirmwareVersion:
        return self._decode(FirmwareVersion.decode, await self._register(Register.FIRMWARE_VERSION))

    async def model_code(self) -> str:
        data = await self._register(Register.MODEL_CODE)
        return self._decode(lambda d: decode_text(d, "model code"), data)

    async def battery_voltage(self) -> int:
        """Millivolts of the charger (or one-piece) battery; answered from node 0x08."""
        return self._decode(decode_battery_voltage, await self._register(Register.BATTERY_VOLTAGE))

    async def brightness(self) -> int:
        """The light level (0x64 high, 0x1E low, as public clients set it)."""
        self._require(Capability.BRIGHTNESS)
        return self._decode(decode_brightness, await self._register(Register.BRIGHTNESS))

    async def set_brightness(self, level: int) -> None:
        """The charger's light, then the holder's at the same level where there is a
        holder, as iqos_cli does: the app has one brightness setting for both."""
        model = self._require(Capability.BRIGHTNESS)
        record = encode_brightness(level)
        await self.request(write_request(Node.CHARGER, Register.BRIGHTNESS, record))
        if model.supports(Capability.HOLDER):
            await self.request(write_request(Node.HOLDER, HolderRegister.BRIGHTNESS, record))

    async def holder_brightness(self) -> int:
        self._require(Capability.BRIGHTNESS)
        self._require(Capability.HOLDER)
        data = await self._register(HolderRegister.BRIGHTNESS, Node.HOLDER)
        return self._decode(decode_brightness, data)

    async def locked(self) -> bool:
        """The lock read back, as public clients do after each lock or unlock."""
        self._require(Capability.LOCK)
        return self._decode(decode_lock, await self._register(Register.LOCK, Node.HOLDER))

    async def set_locked(self, locked: bool) -> None:
        """Locks or unlocks, then reads the lock back as iqos_cli and iqosctl do: the
        write's echo only says the frame arrived, the read says the device took it."""
        self._require(Capability.LOCK)
        await self.request(write_request(Node.HOLDER, Register.LOCK, encode_lock(locked)))
        if await self.locked() != locked:
            state = "locked" if locked else "unlocked"
            raise BadAnswer(f"{self.address} echoed the lock write but is not {state}")

    async def _extended(self, frame: ExtendedFrame) -> bytes:
        reply = await self.request(frame)
        if not isinstance(reply, ExtendedFrame):
            raise BadAnswer(f"short frame {reply!r} answered extended request {frame!r}")
        return reply.data

    async def usage_counters(self) -> UsageCounters:
        """The holder's counters: puffs (tag 0x8E) and days used (0x17), and the blocks
        no public client decodes yet."""
        self._require(Capability.USAGE_COUNTERS)
        return self._decode(UsageCounters.decode, await self._extended(usage_counters_read()))

    async def clock(self) -> datetime:
        self._require(Capability.CLOCK)
        return self._decode(decode_clock, await self._extended(clock_read()))

    async def set_clock(self, moment: datetime) -> None:
        """Sets the device clock; the device acknowledges the write."""
        self._require(Capability.CLOCK)
        await self._extended(clock_write(moment))

    # --- features ---------------------------------------------------------------------

    def _require(self, capability: Capability) -> ModelSpec:
        if self.model is None:
            raise NotSupported(f"model of {self.address} unknown: cannot use {capability.value}")
        if not self.model.supports(capability):
            raise NotSupported(f"{capability.value} is not supported by {self.model.display_name}")
        return self.model

    async def diagnostics(self, full_serial: bool = False) -> Diagnostics:
        battery = await self.battery()
        status = await self.status()
        firmware = await self.firmware_version()
        serial = await self.serial(full_serial)
        holders = self.model.holders if self.model else 1
        return Diagnostics(
            model=self.model.display_name if self.model else "unknown",
            firmware=str(firmware),
            serial=serial,
            battery=battery,
            status=status,
            findings=findings(status, holders),
        )

    async def reset(self) -> None:
        """The app's reset: the device clears errors and bonds; the app lets go of the link,
        since the bond it was encrypted with is gone."""
        model = self._require(Capability.APP_RESET)
        assert model.reset is not None
        await self.request(model.reset.frame())
        await self.disconnect()

    async def find_my(self, start: bool) -> None:
        self._require(Capability.FIND_MY)
        await self.request(write_request(Node.CHARGER, Register.FIND_MY, encode_find_my(start)))

    async def haptics(self) -> VibrationSettings:
        self._require(Capability.HAPTICS)
        node = self._haptics_node()
        return self._decode(
            VibrationSettings.decode, await self._register(Register.VIBRATION, node)
        )

    async def set_haptics(self, settings: VibrationSettings) -> None:
        self._require(Capability.HAPTICS)
        await self.request(
            write_request(self._haptics_node(), Register.VIBRATION, settings.encode())
        )

    def _haptics_node(self) -> Node:
        return Node.HOLDER if self.model is not None and self.model.holders else Node.CHARGER

    async def sessions_left(self) -> int:
        """Whole sessions left on one charge: of the battery on a one-piece device, of
        the holder on a two-piece one. The charger reports the holder's level only while
        the holder is in it, as the app's battery screen shows."""
        model = self.model
        if model is None:
            raise NotSupported(f"model of {self.address} unknown: cannot count sessions left")
        battery = await self.battery()
        cell = battery.holder if model.holders else battery.charger
        if model.holders and cell is None:
            raise NotSupported("sessions left are known only while the holder is in the charger")
        level = cell.level if cell is not None and cell.level else 0
        return level * model.sessions_per_charge // 100

    # --- notifications ----------------------------------------------------------------

    async def notifications(self) -> Notifications:
        """Subscribes to battery and status changes; the returned stream yields them
        decoded. Subscribed on return, so no change made afterwards can be missed.

        Some devices notify the current values on subscribing, some only on a change
        (the profile's `behaviour.notify_on_subscribe`; public clients either wait or
        ask the user to reinsert the holder). So the values are read once subscribed,
        as `Notifications.current`, and what was notified before those reads (the
        same values, or older ones) is left out of the stream: it yields changes only,
        either way."""
        await self.connect()
        client = self._link()
        stream = Notifications()

        def handler(
            uuid: str, decode: Callable[[bytes], Notification]
        ) -> Callable[[Any, bytearray], None]:
            def on_notify(_characteristic: Any, data: bytearray) -> None:
                self._transcript.record(Direction.NOTIFY, uuid, bytes(data))
                if stream.current is None:
                    return
                with contextlib.suppress(ProtocolError):
                    stream.queue.put_nowait(decode(bytes(data)))

            return on_notify

        # On BlueZ, StartNotify (bleak's default) also reports every *read* of the
        # characteristic as a notification; AcquireNotify carries notifications only.
        acquire: BlueZNotifyArgs = {"use_start_notify": False}
        for uuid, decode in (
            (BATTERY_INFORMATION, BatteryInformation.decode),
            (DEVICE_STATUS, self._decode_status),
        ):
            name = characteristic_name(uuid)
            try:
                await self._within(
                    client.start_notify(uuid, handler(uuid, decode), bluez=acquire),
                    f"subscribing to {name} of",
                )
            except BleakError as error:
                raise BadAnswer(f"cannot subscribe to {name}: {error}") from error
        battery = self._decode(BatteryInformation.decode, await self._read(BATTERY_INFORMATION))
        stream.current = (
            battery,
            self._decode(self._decode_status, await self._read(DEVICE_STATUS)),
        )
        return stream


class Notifications:
    """An async stream of decoded battery and status notifications."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Notification] = asyncio.Queue()
        self.current: tuple[BatteryInformation, DeviceStatus] | None = None
        """The values read once subscribed; the stream holds what changed after them."""

    def __aiter__(self) -> Notifications:
        return self

    async def __anext__(self) -> Notification:
        return await self.queue.get()


__all__ = ["IqosClient", "IqosError", "Notification", "Notifications"]
