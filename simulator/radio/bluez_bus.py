"""D-Bus calls to BlueZ, made and refused one way by all that speak to it: the
simulator's BlueZ radio (`bluez_host`) and the guest's bring-up.

Only dbus-fast here, not bless: the bring-up imports this while bluetoothd
starts, and its slow Python start is the part of the guest's boot it overlaps.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from dbus_fast import BusType, Message, MessageType
from dbus_fast.aio import MessageBus

BLUEZ = "org.bluez"
SLOW_CALL = 1.0
"""Seconds past which a call is logged: BlueZ answers in milliseconds, except where it
waits on purpose (2 s before it drops a link), which is then worth knowing."""

log = logging.getLogger(__name__)


class BluezError(RuntimeError):
    """BlueZ refused a call, or is not there; the message names the call.

    `error_name` is the D-Bus error (`org.bluez.Error.Busy`), for a caller that
    waits out one refusal and not another; None when there was no answer."""

    def __init__(self, message: str, error_name: str | None = None) -> None:
        super().__init__(message)
        self.error_name = error_name


async def call(
    bus: MessageBus,
    path: str,
    interface: str,
    member: str,
    signature: str = "",
    body: list[Any] | None = None,
    destination: str = BLUEZ,
) -> list[Any]:
    started = time.monotonic()
    reply = await bus.call(
        Message(
            destination=destination,
            path=path,
            interface=interface,
            member=member,
            signature=signature,
            body=body or [],
        )
    )
    took = time.monotonic() - started
    if took > SLOW_CALL:
        log.warning("BlueZ took %.1f s for %s.%s on %s", took, interface, member, path)
    where = f"{interface}.{member} on {path}"
    if reply is None:
        raise BluezError(f"{where}: no reply")
    if reply.message_type is MessageType.ERROR:
        raise BluezError(f"{where}: {reply.error_name} {reply.body}", reply.error_name)
    return list(reply.body)


async def system_bus() -> MessageBus:
    try:
        return await MessageBus(bus_type=BusType.SYSTEM).connect()
    except (OSError, ValueError) as error:
        raise BluezError(f"no D-Bus system bus (is dbus-daemon running?): {error}") from error
