"""Who may use the panel: loopback by default, and nobody without the token when it is
bound anywhere else; no other web page can drive it through the browser."""

from __future__ import annotations

import json

import aiohttp
import pytest

from simulator.clock import SimulatedClock
from simulator.control import Control, ControlError
from simulator.device import SimulatedDevice
from simulator.panel import DEFAULT_PORT, panel_for
from simulator.panel.access import TOKEN_COOKIE, Access, is_loopback
from simulator.panel.server import Panel
from simulator.profile import find_profile
from tests.panel.conftest import Served

PAGES = ("/", "/static/panel.js", "/events")


def base(panel: Panel) -> str:
    return f"http://127.0.0.1:{panel.addresses[0][1]}"


@pytest.mark.asyncio
async def test_the_default_bind_is_loopback_with_no_token(served: Served) -> None:
    assert [host for host, *_ in served.panel.addresses] == ["127.0.0.1"]
    assert served.panel.url == f"{base(served.panel)}/"
    async with aiohttp.ClientSession() as session, session.get(served.panel.url) as page:
        assert page.status == 200
        assert "default-src 'self'" in page.headers["Content-Security-Policy"]


@pytest.mark.asyncio
async def test_another_host_name_for_loopback_is_refused(served: Served) -> None:
    """DNS rebinding: a site whose name resolves to 127.0.0.1 reads nothing."""
    async with aiohttp.ClientSession() as session:
        for path in PAGES:
            async with session.get(
                base(served.panel) + path, headers={"Host": "attacker.example:80"}
            ) as answer:
                assert answer.status == 403, path
        async with session.get(base(served.panel), headers={"Host": "localhost"}) as answer:
            assert answer.status == 200


@pytest.mark.asyncio
async def test_control_requests_must_be_json_from_the_panels_own_origin(served: Served) -> None:
    duo = served.device("IQOS 3 DUO")
    inject = {"op": "inject", "device": duo.name, "fault": "ambient_too_hot"}
    url = f"{base(served.panel)}/control"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=json.dumps(inject)) as form_like:
            assert form_like.status == 403, "a cross-site form can send text, never JSON"
        async with session.post(
            url, json=inject, headers={"Origin": "http://attacker.example"}
        ) as foreign:
            assert foreign.status == 403
        assert not duo.faults
        async with session.post(url, json=inject, headers={"Origin": base(served.panel)}) as own:
            assert own.status == 200
            assert (await own.json())["result"]["faults"] == ["ambient_too_hot"]
        async with session.post(url, json={"op": "teleport"}) as unknown:
            assert unknown.status == 422
            assert (await unknown.json())["error"].startswith("unknown op 'teleport'; known:")
        async with session.post(
            url, data=b"{", headers={"Content-Type": "application/json"}
        ) as broken:
            assert broken.status == 400


@pytest.mark.asyncio
async def test_bound_elsewhere_every_request_needs_the_token() -> None:
    device = SimulatedDevice(find_profile("IQOS 3 DUO"), SimulatedClock(), "C0:11:22:33:44:55")
    async with Panel(Control([device]), port=0, bind="0.0.0.0") as panel:
        url = await panel.start()
        token = panel.access.token
        assert token and url.endswith(f"/?token={token}")
        # As a browser does, and aiohttp by default does not: keep a cookie set by an IP address.
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            for path in PAGES:
                async with session.get(base(panel) + path) as refused:
                    assert refused.status == 403, path
                async with session.get(f"{base(panel)}{path}?token=x{token}") as wrong:
                    assert wrong.status == 403, path
            async with session.post(f"{base(panel)}/control", json={"op": "devices"}) as refused:
                assert refused.status == 403
            async with session.get(f"{base(panel)}/?token={token}") as opened:
                assert opened.status == 200
                assert opened.cookies[TOKEN_COOKIE]["samesite"] == "Strict"
            async with session.post(f"{base(panel)}/control", json={"op": "devices"}) as page:
                assert page.status == 200, "the page's own requests carry the token's cookie"


def test_which_binds_need_a_token() -> None:
    assert [is_loopback(h) for h in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost")] == [
        True
    ] * 5
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "192.0.2.7", "lab-pc.local"))
    assert Access.for_bind(None) == Access("127.0.0.1", None)
    assert Access.for_bind("::1").url(8765) == "http://[::1]:8765/"
    assert Access.for_bind("192.0.2.7").token is not None
    assert Access.for_bind("192.0.2.7").token != Access.for_bind("192.0.2.7").token


def test_only_the_options_ask_for_a_panel() -> None:
    control = Control([])
    assert panel_for(control, None, None) is None
    assert panel_for(control, 0, None).port == 0  # type: ignore[union-attr]
    with_bind = panel_for(control, None, "0.0.0.0")
    assert with_bind is not None and with_bind.port == DEFAULT_PORT and with_bind.access.token
    with pytest.raises(ControlError, match="--panel must be a TCP port, 0 to 65535, not 70000"):
        panel_for(control, 70000, None)
