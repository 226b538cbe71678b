"""A bleak backend over bumble: real ATT, GATT and SMP on a virtual radio, no kernel Bluetooth.

Three ways to select it (docs/bleak-backend.md says why these):

* explicitly: ``BleakScanner(backend=BumbleScanner)``, ``BleakClient(address,
  backend=BumbleClient)``, after ``use_link(link)`` in this process or with
  ``IQOS_HIL_HCI`` naming an HCI transport;
* ``install()``: from then on, a BleakScanner or BleakClient created without
  ``backend=`` uses this backend whenever a radio is configured, and bleak's
  platform backend otherwise;
* ``IQOS_HIL_HCI=tcp-client:127.0.0.1:PORT python -m harness.bleak_backend
  script.py`` runs a bleak script that never mentions this project against
  the simulator's HCI server (or ``install-hook`` makes every interpreter of
  this environment do so whenever the variable is set).
"""

from __future__ import annotations

from typing import Any

import bleak
from bleak.backends.client import BaseBleakClient
from bleak.backends.scanner import BaseBleakScanner

from harness.bleak_backend.client import BumbleClient
from harness.bleak_backend.radio import (
    ENVIRONMENT_VARIABLE,
    ClientRadio,
    configured,
    current,
    use_link,
)
from harness.bleak_backend.scanner import BumbleScanner

__all__ = [
    "ENVIRONMENT_VARIABLE",
    "BumbleClient",
    "BumbleScanner",
    "ClientRadio",
    "current",
    "install",
    "installed",
    "use_link",
]

_MARK = "_iqos_hil_bumble_backend"


def install() -> None:
    """Make bleak pick this backend when no ``backend=`` is given and a radio is configured.

    bleak 3.1 has no plugin hook: BleakScanner and BleakClient call
    ``get_platform_scanner_backend_type`` and ``get_platform_client_backend_type``
    through the ``bleak`` module's namespace each time one is created. This
    wraps those two names; each wrapper asks at call time whether a radio is
    configured (``use_link`` or ``IQOS_HIL_HCI``) and otherwise defers to
    bleak's own choice. Calling it again changes nothing.
    """
    if getattr(bleak, _MARK, False):
        return
    platform_scanner = bleak.get_platform_scanner_backend_type  # type: ignore[attr-defined]
    platform_client = bleak.get_platform_client_backend_type  # type: ignore[attr-defined]

    def scanner_backend() -> tuple[type[BaseBleakScanner], Any]:
        if configured():
            return BumbleScanner, BumbleScanner.__name__
        result: tuple[type[BaseBleakScanner], Any] = platform_scanner()
        return result

    def client_backend() -> tuple[type[BaseBleakClient], Any]:
        if configured():
            return BumbleClient, BumbleClient.__name__
        result: tuple[type[BaseBleakClient], Any] = platform_client()
        return result

    bleak.get_platform_scanner_backend_type = scanner_backend  # type: ignore[attr-defined]
    bleak.get_platform_client_backend_type = client_backend  # type: ignore[attr-defined]
    setattr(bleak, _MARK, True)


def installed() -> bool:
    return bool(getattr(bleak, _MARK, False))
