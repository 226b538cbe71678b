"""Who may use the panel: it injects faults and resets devices, so not any web page.

On loopback (the default) only this machine can connect, but a web page in its
browser could still send requests there, or reach the panel through a name of
its own that resolves to 127.0.0.1 (DNS rebinding). So the Host header must
name a loopback address, and a control request must be JSON (which a page on
another origin cannot send without a preflight the panel never grants) from
the panel's own origin. Bound anywhere else (`--panel-bind`), every request
also needs the random token of the printed URL; the page that opens with it
keeps it in a same-site cookie, so its own requests carry it.
"""

from __future__ import annotations

import ipaddress
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

LOOPBACK = "127.0.0.1"
TOKEN_PARAMETER = "token"
TOKEN_COOKIE = "iqos_panel_token"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name could resolve anywhere


@dataclass(frozen=True)
class Access:
    bind: str
    token: str | None
    """None on loopback: only this machine's own users can reach the panel there."""

    @classmethod
    def for_bind(cls, bind: str | None) -> Access:
        host = bind or LOOPBACK
        return cls(host, None if is_loopback(host) else secrets.token_urlsafe(24))

    def url(self, port: int) -> str:
        """What to open; a wildcard bind is shown as this machine's name, which a
        tablet on the same network can reach, unlike 0.0.0.0."""
        host = self.bind
        if host in ("0.0.0.0", "::", ""):
            host = socket.gethostname()
        elif ":" in host:
            host = f"[{host}]"
        query = f"?{TOKEN_PARAMETER}={self.token}" if self.token else ""
        return f"http://{host}:{port}/{query}"

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        refusal = self._refusal(request)
        if refusal is not None:
            raise web.HTTPForbidden(text=f"iqos-sim panel: {refusal}\n")
        response = await handler(request)
        if self.token and request.query.get(TOKEN_PARAMETER) == self.token:
            response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="Strict")
        return response

    def _refusal(self, request: web.Request) -> str | None:
        if self.token is None:
            if not is_loopback(request.url.host or ""):
                return "this panel answers to a loopback host name only"
        else:
            given = request.query.get(TOKEN_PARAMETER) or request.cookies.get(TOKEN_COOKIE, "")
            if not secrets.compare_digest(given.encode(), self.token.encode()):
                return "open the URL that `iqos-sim serve` printed: it carries the token"
        if request.method == "POST":
            origin = request.headers.get("Origin")
            if origin is not None and origin != f"{request.scheme}://{request.host}":
                return f"requests from {origin} are refused"
            if request.content_type != "application/json":
                return "control requests are JSON"
        return None
