"""Every documented control point request, in every documented form, to each model
over the virtual radio: the answer's bytes, and the client's decoding of them.

Then the other way round: every request the simulator answers at all is a
documented row, so nothing it can say goes undecoded.
"""

from __future__ import annotations

import pytest

from harness.targets.virtual import VirtualTarget
from iqos.protocol import (
    ExtendedFrame,
    ExtendedType,
    Frame,
    Node,
    ShortFrame,
    decode_frame,
)
from iqos.protocol.registers import ExtendedAddress
from iqos.protocol.scp import MAX_REGISTER
from simulator.clock import SimulatedClock
from simulator.device import SimulatedDevice
from simulator.profile import find_profile
from simulator.scp import answer
from tests.conformance.conftest import MODELS, Links, open_link
from tests.conformance.frames import CONTROL_POINT, Documented, Form, row_for

CASES = [
    pytest.param(model, row, form, id=f"{model}/{row.name}/{form.label}".replace(" ", "_"))
    for model in MODELS
    for row in CONTROL_POINT
    if not row.forgets_bonds
    for form in row.forms
]


def expected_answer(row: Documented, form: Form, device: SimulatedDevice) -> bytes | None:
    request = form.frame
    if request is None:
        return None
    if form.extra_bytes and not device.profile.behaviour.scp_extra_bytes:
        return None
    return row.expect(device, request)


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(("model", "row", "form"), CASES)
async def test_documented_request(links: Links, model: str, row: Documented, form: Form) -> None:
    link = await links.get(model)
    answers = await link.exchange(form.writes)
    expected = expected_answer(row, form, link.device)
    if expected is None:
        assert answers == [], f"{model} answered {row.name} ({form.label}): {answers}"
        return
    assert [a.hex(" ") for a in answers] == [expected.hex(" ")], f"{model}: {row.name}"
    assert row.check(decode_frame(answers[0]), link.device), (
        f"{model}: the client's decoding of {answers[0].hex(' ')} is not the device's state"
    )


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("model", MODELS)
async def test_extra_bytes_go_unanswered_where_the_profile_says_so(
    links: Links, model: str
) -> None:
    """`behaviour.scp_extra_bytes: ignore`: the strict reading of the layout."""
    link = await links.get(model, scp_extra_bytes=False)
    for row in CONTROL_POINT:
        for form in row.forms:
            if form.extra_bytes:
                assert await link.exchange(form.writes) == [], f"{model}: {form.label}"


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("model", MODELS)
async def test_a_reset_is_echoed_and_the_bonds_go(target: VirtualTarget, model: str) -> None:
    """On a device of its own, since it forgets the bond the module's links use."""
    (row,) = [row for row in CONTROL_POINT if row.forgets_bonds]
    (form,) = row.forms
    link = await open_link(target, model)
    expected = expected_answer(row, form, link.device)
    assert expected is not None
    await link.write(*form.writes)
    assert await link.until(1) == [expected], model
    await link.close()
    assert row.check(decode_frame(link.notified[0]), link.device)


def _every_request(node: Node) -> list[Frame]:
    reads: list[Frame] = [ShortFrame(node, register) for register in range(MAX_REGISTER + 1)]
    extended: list[Frame] = [
        ExtendedFrame(node, ExtendedType.READ, address)
        for address in (ExtendedAddress.CLOCK, ExtendedAddress.USAGE_COUNTERS)
    ]
    return reads + extended


@pytest.mark.parametrize("model", MODELS)
def test_everything_the_simulator_answers_is_documented_and_decoded(model: str) -> None:
    """Every read of every register (and every extended read) of both nodes: each
    one the simulator answers is a row of the table, whose check is the client's
    decoding; so the client stack decodes every answer the simulator can give."""
    device = SimulatedDevice(find_profile(model), SimulatedClock(), "C0:11:22:33:44:55")
    answered = 0
    for node in (Node.CHARGER, Node.HOLDER):
        for request in _every_request(node):
            reply = answer(device, request)
            if reply is None:
                continue
            answered += 1
            row = row_for(request)
            assert row is not None, f"{model} answers the undocumented {request!r}"
            assert row.check(decode_frame(reply.encode()), device), f"{model}: {row.name}"
    assert answered
