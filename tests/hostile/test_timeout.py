"""Item 6: the run's deadline at the engine layer (the CLI end to end: tests/providers/gcs/test_timeout.py).

Resources whose lazy read never returns (a fetcher blocked on an event, released when the test
ends) are ``error`` "timed out" once the deadline passes; resources already read are judged as usual.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator

import pytest
from hostile_support import PACK

from policycheck.deadline import Deadline, TimedOut, within
from policycheck.engine import evaluate
from policycheck.loader import load_packs
from policycheck.model import Resource, Result

TODAY = dt.date(2026, 5, 1)


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()  # the stuck reads end with the test


def bucket(index: int, release: threading.Event | None) -> Resource:
    def fetch() -> dict[str, bool]:
        if release is not None:
            release.wait(30)
        return {"encryption.at_rest": True, "access.public": False}

    return Resource(type="aws.s3.bucket", id=f"arn:aws:s3:::bucket-{index}", name=f"bucket-{index}", provider="aws",
                    fetchers={"all": fetch}, group_of=lambda path: "all")


def rules(tmp_path):
    path = tmp_path / "pack.yaml"
    path.write_text(PACK, encoding="utf-8")
    return [rule for pack in load_packs([str(path)]) for rule in pack.rules]


def test_reads_still_running_at_the_deadline_are_error_timed_out(tmp_path, release):
    resources = [bucket(0, None), bucket(1, release), bucket(2, None), bucket(3, release)]
    deadline = Deadline(0.5)
    started = time.monotonic()
    findings = list(evaluate(rules(tmp_path), resources, evaluation_date=TODAY, workers=4, deadline=deadline))
    assert time.monotonic() - started < 2
    assert deadline.expired
    results = {(f.resource.name, f.rule_id): (f.result, f.message) for f in findings}
    assert len(results) == 8
    for name in ("bucket-0", "bucket-2"):
        assert results[name, "H-ENC-001"][0] is Result.PASS
    for name in ("bucket-1", "bucket-3"):
        for rule in ("H-ENC-001", "H-PUB-001"):
            result, message = results[name, rule]
            assert result is Result.ERROR and message.startswith("timed out (--timeout 0.5 s)")


def test_without_a_limit_nothing_times_out(tmp_path):
    deadline = Deadline()
    findings = list(evaluate(rules(tmp_path), [bucket(i, None) for i in range(20)], evaluation_date=TODAY,
                             workers=4, deadline=deadline))
    assert len(findings) == 40 and not deadline.expired
    assert {f.result for f in findings} == {Result.PASS}


def test_a_stream_that_stops_answering_times_out(release):
    def listing() -> Iterator[int]:
        yield 1
        yield 2
        release.wait(30)  # a listing page that never comes
        yield 3

    deadline = Deadline(0.3)
    seen = []
    with pytest.raises(TimedOut, match=r"timed out \(--timeout 0.3 s\)"):
        for item in within(listing(), deadline):
            seen.append(item)
    assert seen == [1, 2] and deadline.expired


def test_a_stream_error_is_raised_in_the_consumer():
    def listing() -> Iterator[int]:
        yield 1
        raise ValueError("listing broke")

    with pytest.raises(ValueError, match="listing broke"):
        list(within(listing(), Deadline(5)))
