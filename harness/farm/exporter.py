"""`labgrid-exporter`, able to export the farm's BLE adapters.

    python -m harness.farm.exporter [labgrid-exporter's arguments] EXPORTER.yaml

labgrid's exporter knows how to export a resource by a table of export classes
(`labgrid.remote.exporter.exports`) and has no plug-in hook for it. This adds the
farm's one and hands over to labgrid's own `main`, so the process is labgrid's
exporter in everything else; the farm's other resources need no export class.
"""

from __future__ import annotations

import ipaddress

import attr
from labgrid.remote import exporter

from harness.farm.resources import HciTcpAdapter

WILDCARDS = frozenset({"", "0.0.0.0", "::"})


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@attr.s(eq=False)
class HciTcpAdapterExport(exporter.ResourceExport):
    """Publishes an HCI bridge where workers reach it: at the exporter's published
    host when it listens on every address; at its loopback address behind labgrid's
    SSH proxy through the exporter's host when it listens on loopback only and the
    exporter publishes a name other machines resolve."""

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self.data["cls"] = "NetworkHciAdapter"
        self.local = HciTcpAdapter(target=None, name=None, **self.local_params)  # type: ignore[call-arg]
        if _loopback(self.local.address) and not _loopback(self.host):
            self.proxy_required = True

    def _get_params(self) -> dict[str, object]:
        address = self.local.address
        return {"host": self.host if address in WILDCARDS else address, "port": self.local.port}


exporter.exports["HciTcpAdapter"] = HciTcpAdapterExport

if __name__ == "__main__":
    exporter.main()
