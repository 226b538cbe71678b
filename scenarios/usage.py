"""The device's own records: its clock and its usage counters, and the time passing
that moves both.

Growth is counted from a reading the app took earlier in the scenario, so a
scenario checks what it did, whatever the device had counted before it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pytest_bdd import given, parsers, then, when

from harness.app import App
from harness.targets.base import DeviceUnderTest
from iqos.protocol.registers import UsageCounters

CLOCK_TOLERANCE = timedelta(seconds=5)
"""The device clock counts whole seconds, and a read or a write takes a round trip
over the radio (longer on a bench); more than this apart is a clock that is wrong."""


@given(parsers.parse("{seconds:d} seconds pass"))
@when(parsers.parse("{seconds:d} seconds pass"))
def seconds_pass(app: App, seconds: int) -> None:
    """With the device left alone: an instant on simulated devices, a wait on a bench."""
    app.run(app.device.hands.pass_time(seconds))


@given(parsers.parse("{minutes:d} minutes pass"))
@when(parsers.parse("{minutes:d} minutes pass"))
def minutes_pass(app: App, minutes: int) -> None:
    """With the device left alone: charging, a heating session's profile, an advertising
    window run on in that time."""
    app.run(app.device.hands.pass_time(minutes * 60))


@given(parsers.parse("{hours:d} hours pass"))
@when(parsers.parse("{hours:d} hours pass"))
def hours_pass(app: App, hours: int) -> None:
    """With the device left alone; a new day on the device clock counts as a new day
    used once a session starts in it. Needs `@needs:simulated_time`."""
    app.run(app.device.hands.pass_time(hours * 3600))


# --- device clock ---------------------------------------------------------------------


def _phone_time() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@given("the app sets the device clock to the phone's time")
@when("the app sets the device clock to the phone's time")
def set_clock(app: App) -> None:
    """As the app does on connecting; the phone's time is kept for later steps."""
    now = _phone_time()
    app.run(app.client().set_clock(now))
    app.clock_set[app.device.address] = now


@then("the device clock shows the phone's time")
def clock_shows_phone_time(app: App) -> None:
    """Read back from the device, within 5 seconds of the phone's time (CLOCK_TOLERANCE)."""
    shown = app.device_clock()
    now = _phone_time()
    assert abs(shown - now) <= CLOCK_TOLERANCE, (
        f"{app.device.label}: the device clock shows {shown:%Y-%m-%d %H:%M:%S}, "
        f"the phone {now:%Y-%m-%d %H:%M:%S} (UTC)"
    )


@then(parsers.parse("the device clock has moved on by {minutes:d} minutes"))
def clock_moved_on(app: App, minutes: int) -> None:
    """Since the app set it: at least that long, within 5 seconds, and no more than the
    phone's own clock moved (on a bench the waits are real and may run longer; on
    simulated devices the time passes on the device only)."""
    assert app.device.address in app.clock_set, (
        "the app has not set the device clock in this scenario: "
        "start with 'the app sets the device clock to the phone's time'"
    )
    set_to = app.clock_set[app.device.address]
    moved = app.device_clock() - set_to
    expected = timedelta(minutes=minutes)
    longest = max(expected, _phone_time() - set_to) + CLOCK_TOLERANCE
    assert expected - CLOCK_TOLERANCE <= moved <= longest, (
        f"{app.device.label}: the device clock moved on by {moved}, expected {expected}"
    )


# --- usage counters -------------------------------------------------------------------


@given("the app reads the usage counters")
@when("the app reads the usage counters")
def read_counters(app: App) -> None:
    """Puffs and days used, as the app's usage screen shows them; later steps count
    the growth from this reading."""
    app.usage_read[app.device.address] = app.run(app.client().usage_counters())


def _growth(device: DeviceUnderTest, before: UsageCounters, now: UsageCounters, what: str) -> int:
    then_, later = getattr(before, what), getattr(now, what)
    assert then_ is not None and later is not None, (
        f"{device.label} sends no {what.replace('_', ' ')} counter"
    )
    grown: int = later - then_
    return grown


NOT_READ = (
    "the app has not read the usage counters in this scenario: "
    "start with 'the app reads the usage counters'"
)


@then(parsers.parse("the usage counters show {count:d} more puffs"))
def more_puffs(app: App, count: int) -> None:
    """Since the app read the usage counters (tag 0x8E, the puffs; a profile may count
    sessions there instead: `behaviour.usage_counter_8e`)."""
    assert app.device.address in app.usage_read, NOT_READ
    before = app.usage_read[app.device.address]
    grown = _growth(app.device, before, app.usage_counters(), "puffs")
    assert grown == count, f"{app.device.label}: {grown} more puffs counted, expected {count}"


@then(parsers.parse("the usage counters show {count:d} more days used"))
def more_days(app: App, count: int) -> None:
    """Since the app read the usage counters: days on the device clock on which a
    heating session started."""
    assert app.device.address in app.usage_read, NOT_READ
    before = app.usage_read[app.device.address]
    grown = _growth(app.device, before, app.usage_counters(), "days_used")
    assert grown == count, f"{app.device.label}: {grown} more days used counted, expected {count}"
