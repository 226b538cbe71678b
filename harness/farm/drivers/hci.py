"""The BLE adapter of a place, as the worker's bumble host opens it."""

from __future__ import annotations

import attr
from labgrid.driver.common import Driver
from labgrid.factory import target_factory
from labgrid.util.proxy import proxymanager


@target_factory.reg_driver
@attr.s(eq=False)
class HciAdapterDriver(Driver):
    """Gives the bumble transport of the adapter; labgrid's proxy manager opens an SSH
    tunnel through the exporter's host when the bridge is not reachable directly
    (an isolated exporter, a bridge on loopback, or LG_PROXY)."""

    bindings = {"adapter": "NetworkHciAdapter"}  # noqa: RUF012  # labgrid reads the class attribute

    @Driver.check_active
    def transport(self) -> str:
        host, port = proxymanager.get_host_and_port(self.adapter)
        return f"tcp-client:{host}:{port}"
