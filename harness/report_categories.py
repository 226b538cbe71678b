"""How the report sorts what did not pass, in the words of the person who must act.

A red scenario is a product defect only when the device answered and the answer
was wrong. A lost link or a silent radio, a bench that broke, and a model that
cannot do what the scenario asks each go to someone else, so each has its own
category (Allure 3 category rules, first match wins).
"""

from __future__ import annotations

from typing import Any

UNSUPPORTED = r"does not support|has no |target cannot do|cannot run"
BROKEN_BENCH = (
    r"BenchBroken|BenchError|BenchRefused|OperatorError|RehearsalError|TargetError|"
    r"ProvisionError|bench is broken|bench broken|not on the bench"
)
AUTHORING = r"refused to .*an earlier step must make this possible"
LINK_TROUBLE = (
    r"DeviceNotFound|Disconnected|OperationTimeout|StepTimeout|BleakError|"
    r"BleakDBusError|HCI_|not advertising|TimeoutError"
)

CATEGORIES: list[dict[str, Any]] = [
    {
        "name": "Not supported by this model or target",
        "matchers": {"statuses": ["skipped"], "message": UNSUPPORTED},
    },
    {
        "name": "Scenario as written: a step asks what the device cannot do yet",
        "matchers": {"statuses": ["failed", "broken"], "message": AUTHORING},
    },
    {
        "name": "Broken bench",
        "matchers": [
            {"statuses": ["failed", "broken"], "message": BROKEN_BENCH},
            {"statuses": ["failed", "broken"], "trace": BROKEN_BENCH},
        ],
    },
    {
        "name": "Link or radio trouble",
        "matchers": {"statuses": ["failed", "broken"], "message": LINK_TROUBLE},
    },
    {
        "name": "Product defects: the device answered, the answer was wrong",
        "matchers": {"statuses": ["failed"], "message": r"AssertionError"},
    },
    {
        "name": "Harness defects: a step or the harness raised",
        "matchers": {"statuses": ["failed", "broken"]},
    },
]
