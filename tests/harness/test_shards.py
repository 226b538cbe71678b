"""IQOS_HIL_SHARD splits the feature suite between guests side by side: every
scenario in exactly one shard, and a bad value refused before anything runs."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def collected(shard: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q",
         "features"],
        cwd=ROOT, capture_output=True, text=True, check=False,
        env={**os.environ, "IQOS_HIL_SHARD": shard},
    )  # fmt: skip


def scenario_ids(done: subprocess.CompletedProcess[str]) -> set[str]:
    return {line for line in done.stdout.splitlines() if "::" in line}


def test_shards_split_the_suite_without_overlap() -> None:
    first, second = scenario_ids(collected("0/2")), scenario_ids(collected("1/2"))
    whole = scenario_ids(collected("0/1"))
    assert first and second
    assert not first & second
    assert first | second == whole
    assert abs(len(first) - len(second)) <= 1


def test_a_bad_shard_is_a_usage_error() -> None:
    for bad in ("2/2", "half"):
        done = collected(bad)
        assert done.returncode == 4, done.stdout + done.stderr
        assert "IQOS_HIL_SHARD" in done.stderr
