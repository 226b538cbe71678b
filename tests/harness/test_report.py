"""The report's inputs and its server: known issues, the Allure config, serving a page."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from harness.report import (
    KNOWN_ISSUES,
    ReportError,
    allure_config,
    known_issue_rules,
    merged_environment,
    render,
)
from harness.report_categories import CATEGORIES
from tests.harness.test_red_run import embedded_results


def test_the_shipped_known_issues_file_loads() -> None:
    assert known_issue_rules(KNOWN_ISSUES) == []


def test_a_known_issue_names_a_scenario_by_the_report_s_full_name(tmp_path: Path) -> None:
    path = tmp_path / "known.yaml"
    path.write_text(
        '- scenario: "pairing/first.feature:Pairs"\n  reason: "bench ticket 42"\n'
        '- message: "OperationTimeout"\n  reason: "hub resets"\n'
    )
    assert known_issue_rules(path) == [
        {
            "resolution": "accepted",
            "comment": "bench ticket 42",
            "testCaseId": [hashlib.md5(b"pairing/first.feature:Pairs").hexdigest()],
        },
        {"resolution": "accepted", "comment": "hub resets", "messageRegexp": "OperationTimeout"},
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("- reason: [unclosed", "not valid YAML"),
        ("scenario: x\n", "expected a list"),
        ("- scenario: x\n", "needs a 'reason'"),
        ("- reason: r\n", "name a 'scenario' or a 'message'"),
        ("- reason: r\n  scenaro: x\n", "unknown keys ['scenaro']"),
    ],
)
def test_a_bad_known_issues_file_names_the_file_and_the_problem(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "known.yaml"
    path.write_text(text)
    with pytest.raises(ReportError, match=re.escape(problem)) as raised:
        known_issue_rules(path)
    assert str(path) in str(raised.value)


def test_the_report_is_one_page_with_history_beside_it(tmp_path: Path) -> None:
    config = allure_config(tmp_path / "html", tmp_path / "history.jsonl", KNOWN_ISSUES)
    assert config["plugins"]["awesome"]["options"]["singleFile"] is True
    assert config["historyPath"] == str(tmp_path / "history.jsonl")
    assert config["categories"] == {"rules": CATEGORIES}


def test_serving_a_report_answers_on_loopback(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<title>report</title>")
    server = subprocess.Popen(
        [sys.executable, "-m", "harness.report", "serve", str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        url = line.split(" at ")[1].split()[0]
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url, timeout=10) as page:
            assert b"<title>report</title>" in page.read()
    finally:
        server.terminate()
        server.wait(10)


def test_serving_a_folder_without_a_report_says_how_to_make_one(tmp_path: Path) -> None:
    answer = subprocess.run(
        [sys.executable, "-m", "harness.report", "serve", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert answer.returncode == 2
    assert answer.stderr.strip() == f"report: no report in {tmp_path}: run python3 run.py features"


def test_a_run_without_results_in_any_folder_is_refused_naming_them(tmp_path: Path) -> None:
    shards = [tmp_path / "shard-0", tmp_path / "shard-1"]
    shards[0].mkdir()
    with pytest.raises(ReportError, match="did the feature run start") as raised:
        render(shards, tmp_path / "html")
    assert all(str(shard) in str(raised.value) for shard in shards)


def test_a_shard_that_ran_no_scenario_leaves_the_others_report(tmp_path: Path) -> None:
    """`python3 run.py bluez -- -k ...` may select fewer scenarios than there are guests."""
    ran, idle = tmp_path / "shard-0", tmp_path / "shard-1"
    ran.mkdir()
    result = {
        "uuid": "1",
        "name": "Red on purpose",
        "fullName": "red",
        "status": "failed",
        "start": 1_000,
        "stop": 2_000,
        "statusDetails": {"message": "expected a Multi"},
    }
    (ran / "1-result.json").write_text(json.dumps(result))
    index = render([ran, idle], tmp_path / "html")
    assert embedded_results(index)["Red on purpose"]["status"] == "failed"


def test_the_shards_environments_merge_into_one_that_names_each_shards_selection(
    tmp_path: Path,
) -> None:
    shards = []
    for index, host in enumerate(["guest", "guest"]):
        folder = tmp_path / f"shard-{index}"
        folder.mkdir()
        (folder / "environment.properties").write_text(
            f"target=bluez\nscenarios\\ selected=122 in shard {index}/2\nhost={host}\n"
        )
        shards.append(folder)
    shards.append(tmp_path / "shard-without-results")
    assert merged_environment(shards) == (
        "target=bluez\nscenarios\\ selected=122 in shard 0/2; 122 in shard 1/2\nhost=guest\n"
    )
