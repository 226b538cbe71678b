"""The panel's web server: one page, its static files, a stream of events, and the control API.

aiohttp serves it in the simulator's own event loop, so a request from the page
acts on the devices between two radio events, exactly as a control-socket
request does. Updates go to the page as server-sent events: one direction is
all the page needs, and the browser reconnects by itself.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from aiohttp import web
from bumble.device import Device

from simulator.control import MAX_REQUEST_BYTES, Control, ControlError
from simulator.device import SimulatedDevice
from simulator.panel import DEFAULT_PORT
from simulator.panel.access import Access
from simulator.panel.hub import Hub

STATIC = Path(__file__).resolve().parent / "static"
KEEPALIVE_SECONDS = 15.0
"""A comment line this often lets the browser, and any proxy, notice a dead stream."""
RETRY = b"retry: 1000\n\n"
"""How soon a browser reconnects a stream the panel ended (its default is 3 s)."""
SECURITY_HEADERS = {
    # Everything comes from the panel itself: it works with no network, and a
    # fault description can never load anything.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class Panel:
    def __init__(self, control: Control, port: int = DEFAULT_PORT, bind: str | None = None) -> None:
        """Loopback unless `bind` names another address; then the URL carries a token."""
        self.control = control
        self.port = port
        self.access = Access.for_bind(bind)
        self.hub = Hub(control)
        self.url = ""
        self._runner: web.AppRunner | None = None

    def watch(self, device: SimulatedDevice, radio: Device) -> None:
        """Show the GATT traffic and the centrals of a device on a bumble radio."""
        self.hub.tap(device, radio)

    async def start(self) -> str:
        """Serve the panel; the URL to open, token included. A port already taken
        is a ControlError, one line for the command line, like a taken socket."""
        app = web.Application(
            middlewares=[self.access.middleware], client_max_size=MAX_REQUEST_BYTES
        )
        app.router.add_get("/", self._index)
        app.router.add_get("/events", self._events)
        app.router.add_post("/control", self._control)
        app.router.add_static("/static/", STATIC)
        app.on_response_prepare.append(_secure)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.access.bind, self.port)
        try:
            await site.start()
        except OSError as error:
            await runner.cleanup()
            raise ControlError(
                f"cannot serve the panel on {self.access.bind}:{self.port}: "
                f"{error.strerror or error}"
            ) from None
        self._runner = runner
        self.hub.follow()
        self.url = self.access.url(_bound_port(runner))
        return self.url

    @property
    def addresses(self) -> list[Any]:
        """Where the panel listens, as the sockets report it."""
        return [] if self._runner is None else list(self._runner.addresses)

    async def close(self) -> None:
        self.hub.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Panel:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    # --- handlers ---------------------------------------------------------------------

    async def _index(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html")

    async def _events(self, request: web.Request) -> web.StreamResponse:
        page = self.hub.subscribe()
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "X-Accel-Buffering": "no"}
        )
        try:
            await response.prepare(request)
            await response.write(RETRY + _event("hello", self.hub.hello()))
            while True:
                try:
                    event = await asyncio.wait_for(page.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    await response.write(b": keepalive\n\n")
                    continue
                if event is None:
                    break
                await response.write(_event(*event))
        except ConnectionResetError:
            pass  # the page went away
        finally:
            self.hub.unsubscribe(page)
        return response

    async def _control(self, request: web.Request) -> web.Response:
        """One control request, the very JSON the socket takes, answered by the same
        `Control.answer` as the socket's: once the radio shows the change."""
        try:
            message = await request.json()
        except ValueError as error:
            return web.json_response({"ok": False, "error": f"not JSON: {error}"}, status=400)
        if not isinstance(message, dict):
            return web.json_response(
                {"ok": False, "error": "a request is a JSON object with 'op'"}, status=400
            )
        try:
            result = await self.control.answer(message)
        except ControlError as error:
            return web.json_response({"ok": False, "error": str(error)}, status=422)
        return web.json_response({"ok": True, "result": result})


def _event(name: str, body: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(body)}\n\n".encode()


async def _secure(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(SECURITY_HEADERS)


def _bound_port(runner: web.AppRunner) -> int:
    """The port the system gave, when port 0 asked it to pick one."""
    port: int = runner.addresses[0][1]
    return port
