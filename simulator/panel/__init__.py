"""A web page for testing by hand: every simulated device live, and the control API on buttons.

`iqos-sim serve --panel [PORT]` starts it (docs/panel.md). It lives in the
simulator's layer and acts only through `simulator.control.Control`, so the
page, the control socket and the scenarios never disagree about a device.
This module stays light (the web server is imported only when a panel is
asked for), since `iqos-sim inject` and `state` import the command line too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.control import Control, ControlError

if TYPE_CHECKING:
    from simulator.panel.server import Panel

DEFAULT_PORT = 8765


def panel_for(control: Control, port: int | None, bind: str | None) -> Panel | None:
    """The panel that `--panel [PORT]` and `--panel-bind ADDR` ask for, if any:
    naming an address to bind to asks for the panel too. A port that cannot be
    one is refused here, before a device or the control socket starts."""
    if port is None and bind is None:
        return None
    if port is not None and not 0 <= port <= 0xFFFF:
        raise ControlError(f"--panel must be a TCP port, 0 to 65535, not {port}")
    try:
        from simulator.panel.server import Panel
    except ModuleNotFoundError as missing:  # an environment made before the panel existed
        raise ControlError(
            f"the panel needs {missing.name}: reinstall the project (pip install -e .)"
        ) from None
    return Panel(control, DEFAULT_PORT if port is None else port, bind)
