"""The panel as a QA engineer uses it: headless Chromium clicks, the device changes, and
the page, the control API and an `iqos-hil diag` run against the same device all agree."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from pathlib import Path

import allure
import pytest

from tests.panel.browser import CHROMIUM, Page, chromium
from tests.panel.conftest import Served

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.timeout(60),
    pytest.mark.skipif(
        CHROMIUM is None and not os.environ.get("CI"),
        reason="no Chromium here (apt-get install chromium); CI installs it, and fails without",
    ),
]

ROOT = Path(__file__).resolve().parents[2]
DOCS_SCREENSHOT = ROOT / "docs" / "panel.png"
"""Rewritten only when `IQOS_HIL_PANEL_SCREENSHOT=1`: a test run leaves the tree clean."""
LAPTOP = (1280, 1000)
TABLET = (768, 1024)


def card(address: str, inner: str = "") -> str:
    return f'article.device[data-address="{address}"] {inner}'.strip()


def text_of(selector: str) -> str:
    """JavaScript: the text of the element, or '' while there is none."""
    return f"(document.querySelector({json.dumps(selector)})?.textContent ?? '')"


async def diag(served: Served, address: str) -> str:
    """`iqos-hil diag` in another process, over the HCI server, as docs/cli.md shows."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "harness.cli",
        "--address",
        address,
        "diag",
        cwd=ROOT,
        env={**os.environ, "IQOS_HIL_HCI": served.hci},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_a_click_injects_a_fault_and_removes_the_holder(
    served: Served, tmp_path: Path
) -> None:
    duo = served.device("IQOS 3 DUO")
    url = served.panel.url
    assert url.startswith("http://127.0.0.1:")
    async with chromium(tmp_path / "profile") as page:
        await page.viewport(*LAPTOP)
        await page.open(url)
        await page.wait_for("document.querySelectorAll('article.device').length === 2")
        await page.wait_for(f"{text_of('#link')}.startsWith('live')")

        await page.click(card(duo.address, "details.faults summary"))
        await page.click(card(duo.address, 'button.fault[data-fault="ambient_too_cold"]'))
        await page.wait_for(
            f"{text_of(card(duo.address, '[data-fact=faults] dd'))}.includes('ambient_too_cold')"
        )
        await page.wait_for(
            f"document.querySelector({json.dumps(card(duo.address, 'circle.status'))})"
            ".dataset.light === 'warning'"
        )
        assert duo.has_fault("ambient_too_cold")
        state = served.control.handle({"op": "state", "device": duo.name})
        assert state["faults"] == ["ambient_too_cold"]

        report = await diag(served, duo.address)
        assert "[warning] the device is too cold" in report
        log = card(duo.address, "[data-field=log]")
        await page.wait_for(f"{text_of(log)}.includes('AmbientState.TOO_LOW')")
        await page.wait_for(f"{text_of(log)}.includes('disconnected')")
        assert "bonds: " in await page.evaluate(text_of(card(duo.address, "[data-fact=pairing]")))

        battery = card(duo.address, "[data-fact=battery] dd")
        assert "holder in the charger" in await page.evaluate(text_of(battery))
        await page.click(card(duo.address, "[data-control=holder]"))
        await page.wait_for(f"{text_of(battery)}.includes('holder out of the charger')")
        await page.wait_for(
            f"{text_of(card(duo.address, '[data-control=holder]'))} === 'Insert holder'"
        )
        assert duo.holder is not None and not duo.holder.in_charger

        await heat_and_puff(page, served)
        await still_screenshot(page, tmp_path / "panel.png")

        await assert_all_served_locally(page, url)
        await assert_fits(page, *TABLET, columns=1)
        await assert_fits(page, *LAPTOP, columns=2)


async def heat_and_puff(page: Page, served: Served) -> None:
    """A session on the one-piece model: started, a minute passed, two puffs taken."""
    multi = served.device("IQOS 3 Multi")
    heating = card(multi.address, "[data-fact=heating] dd")
    await page.click(card(multi.address, "[data-control=start]"))
    await page.wait_for(f"{text_of(heating)}.includes('heating 0:00 of 6:00')")
    await page.click(card(multi.address, "[data-control=wait]"))
    await page.wait_for(f"{text_of(heating)}.includes('heating 1:00 of 6:00')")
    await page.evaluate(
        f"document.querySelector({json.dumps(card(multi.address, 'input[name=puffs]'))}).value = 2"
    )
    await page.click(card(multi.address, "[data-control=puff]"))
    await page.wait_for(f"{text_of(heating)}.includes('2 of 14 puffs')")
    assert multi.heating is not None and multi.heating.puffs == 2
    assert multi.clock.now == 60


async def still_screenshot(page: Page, path: Path) -> None:
    """The page for the report (and docs/panel.png when asked), with blinking lights
    caught lit: the page honours reduced motion."""
    await page.send(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-reduced-motion", "value": "reduce"}]},
    )
    await page.evaluate("window.scrollTo(0, 0)")
    await page.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": 0, "y": 0})
    await page.screenshot(path)
    allure.attach.file(str(path), "panel", allure.attachment_type.PNG)
    if os.environ.get("IQOS_HIL_PANEL_SCREENSHOT"):
        await asyncio.to_thread(shutil.copyfile, path, DOCS_SCREENSHOT)


async def assert_all_served_locally(page: Page, url: str) -> None:
    """Works with no network: every resource the page loaded came from the panel."""
    origin = url.split("/?")[0].rstrip("/")
    loaded = await page.evaluate(
        "performance.getEntriesByType('resource').map((entry) => entry.name)"
    )
    assert loaded and all(name.startswith(origin) for name in loaded), loaded


async def assert_fits(page: Page, width: int, height: int, columns: int) -> None:
    """Nothing wider than the screen; the cards in `columns` columns."""
    await page.viewport(width, height, mobile=width < 1000)
    await page.wait_for(f"innerWidth === {width}")
    layout = await page.evaluate(
        """({
            overflow: document.documentElement.scrollWidth - innerWidth,
            tops: [...document.querySelectorAll('article.device')]
                .map((card) => Math.round(card.getBoundingClientRect().top)),
        })"""
    )
    assert layout["overflow"] <= 0, f"{width} px wide: {layout['overflow']} px scroll sideways"
    first_row = [top for top in layout["tops"] if top == layout["tops"][0]]
    assert len(first_row) == columns, f"{width} px wide: {layout}"
