"""Headless Chromium driven over the DevTools protocol, as a person would use the page.

Debian's /usr/bin/chromium (CI installs it too), never a downloaded browser; the
protocol over the `websockets` package that bumble already brings. Clicks are
real mouse events at the element's centre, and every wait is a DOM condition
checked in the page after each mutation, with a deadline: no sleeps.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-port=0",
)
START_SECONDS = 20.0
WAIT_SECONDS = 10.0


class BrowserError(AssertionError):
    """The page did not do what the test waited for; the message says what."""


class _Protocol:
    """One DevTools connection; answers are matched to calls by id, whatever the session."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}

    async def call(
        self, method: str, params: dict[str, Any] | None = None, session: str = ""
    ) -> dict[str, Any]:
        number = next(self._ids)
        answer = asyncio.get_running_loop().create_future()
        self._waiting[number] = answer
        message: dict[str, Any] = {"id": number, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        await self.socket.send(json.dumps(message))
        reply = await asyncio.wait_for(answer, WAIT_SECONDS * 2)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error']}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    async def read(self) -> None:
        async for raw in self.socket:
            message = json.loads(raw)
            waiting = self._waiting.pop(message.get("id", -1), None)
            if waiting is not None and not waiting.done():
                waiting.set_result(message)


class Page:
    def __init__(self, protocol: _Protocol, session: str) -> None:
        self._protocol = protocol
        self._session = session

    async def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self._protocol.call(method, params, self._session)

    async def evaluate(self, expression: str) -> Any:
        result = await self.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise BrowserError(details.get("exception", {}).get("description") or str(details))
        return result["result"].get("value")

    async def wait_for(self, condition: str, seconds: float = WAIT_SECONDS) -> Any:
        """The value of the JavaScript `condition` once it is truthy, checked now and
        after every change to the DOM; a BrowserError naming it after `seconds`."""
        message = json.dumps(f"timed out after {seconds} s waiting for: {condition}")
        script = f"""new Promise((resolve, reject) => {{
            let observer = null;
            const timer = setTimeout(() => {{
                if (observer) observer.disconnect();
                reject(new Error({message}));
            }}, {int(seconds * 1000)});
            const check = () => {{
                let value;
                try {{ value = ({condition}); }} catch (error) {{ return false; }}
                if (!value) return false;
                clearTimeout(timer);
                if (observer) observer.disconnect();
                resolve(value);
                return true;
            }};
            if (!check()) {{
                observer = new MutationObserver(check);
                observer.observe(document, {{subtree: true, childList: true, attributes: true,
                                             characterData: true}});
            }}
        }})"""
        return await self.evaluate(script)

    async def open(self, url: str) -> None:
        await self.send("Page.navigate", {"url": url})
        await self.wait_for("document.readyState === 'complete'")

    async def click(self, selector: str) -> None:
        """A left click at the centre of the first element matching `selector`, once
        it is on screen."""
        centre = await self.wait_for(
            f"""(() => {{
                const element = document.querySelector({json.dumps(selector)});
                if (!element) return null;
                element.scrollIntoView({{block: 'center'}});
                const box = element.getBoundingClientRect();
                return box.width && box.height ? [box.x + box.width / 2, box.y + box.height / 2]
                                               : null;
            }})()"""
        )
        x, y = centre
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            await self.send(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1},
            )

    async def viewport(self, width: int, height: int, mobile: bool = False) -> None:
        await self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
        )

    async def screenshot(self, path: Path) -> Path:
        shot = await self.send("Page.captureScreenshot", {"format": "png"})
        await asyncio.to_thread(path.write_bytes, base64.b64decode(shot["data"]))
        return path


@contextlib.asynccontextmanager
async def chromium(profile: Path) -> AsyncIterator[Page]:
    """One headless Chromium with one page, gone afterwards with its profile."""
    if CHROMIUM is None:
        raise BrowserError("no Chromium on this machine: .ci/run installs Debian's")
    process = await asyncio.create_subprocess_exec(
        CHROMIUM,
        *FLAGS,
        f"--user-data-dir={profile}",
        "about:blank",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    said: list[str] = []
    try:
        try:
            address = await asyncio.wait_for(_devtools_address(process.stderr, said), START_SECONDS)
        except TimeoutError:
            raise BrowserError(f"Chromium did not start: {''.join(said)[-2000:]}") from None
        drain = asyncio.create_task(_drain(process.stderr, said))
        try:
            async with connect(address, max_size=None) as socket:
                protocol = _Protocol(socket)
                reader = asyncio.create_task(protocol.read())
                try:
                    target = await protocol.call("Target.createTarget", {"url": "about:blank"})
                    attached = await protocol.call(
                        "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
                    )
                    page = Page(protocol, attached["sessionId"])
                    await page.send("Page.enable")
                    await page.send("Runtime.enable")
                    yield page
                finally:
                    reader.cancel()
        finally:
            drain.cancel()
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()


async def _devtools_address(stream: asyncio.StreamReader, said: list[str]) -> str:
    while line := (await stream.readline()).decode(errors="replace"):
        said.append(line)
        if line.startswith("DevTools listening on "):
            return line.removeprefix("DevTools listening on ").strip()
    raise BrowserError(f"Chromium ended before it listened: {''.join(said)[-2000:]}")


async def _drain(stream: asyncio.StreamReader, said: list[str]) -> None:
    """Keep reading Chromium's log, so that a full pipe never stops the browser."""
    while line := await stream.readline():
        said.append(line.decode(errors="replace"))
