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
from policycheck.waivers import WaiverBook, load_waivers

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


# -- a provider's own limit (providers.NAME.timeout) under the run's ------------------------------
def stuck(index: int, provider: str, release: threading.Event) -> Resource:
    resource = bucket(index, release)
    resource.provider = provider
    return resource


def test_a_providers_own_limit_cuts_only_its_own_resources(tmp_path, release):
    """aws has 0.3 s of its own; gcs only the run's (none): a slow gcs read still counts, aws reads are late."""
    run = Deadline()
    limits = {"aws": Deadline(0.3, label="providers.aws.timeout", parent=run), "gcs": Deadline(parent=run)}
    slow = threading.Event()
    threading.Timer(0.8, slow.set).start()  # gcs answers after 0.8 s: past aws's limit, within its own
    resources = [stuck(0, "aws", release), stuck(1, "gcs", slow), stuck(2, "aws", release)]
    findings = list(evaluate(rules(tmp_path), resources, evaluation_date=TODAY, workers=4,
                             deadline=lambda resource: limits[resource.provider]))
    results = {(f.resource.name, f.rule_id): (f.result, f.message) for f in findings}
    assert results["bucket-1", "H-ENC-001"][0] is Result.PASS
    for name in ("bucket-0", "bucket-2"):
        result, message = results[name, "H-ENC-001"]
        assert result is Result.ERROR and message.startswith("timed out (providers.aws.timeout 0.3 s)")
    assert limits["aws"].expired and not limits["gcs"].expired and not run.expired


def test_the_run_limit_binds_when_it_is_shorter_than_the_providers():
    ticks = [0.0]
    run = Deadline(2, clock=lambda: ticks[0])
    own = Deadline(10, label="providers.gcs.timeout", parent=run, clock=lambda: ticks[0])
    assert own.remaining() == 2 and own.message() == "timed out (--timeout 2 s)"
    ticks[0] = 2.5
    assert own.passed() and not own.own_passed()
    own.expire()
    assert own.expired and run.expired  # the run's limit ran out: the run-wide problem is reported


def test_a_providers_limit_counts_from_when_its_listing_begins():
    ticks = [0.0]
    run = Deadline(clock=lambda: ticks[0])
    own = Deadline(5, label="providers.devices.timeout", parent=run, clock=lambda: ticks[0])
    ticks[0] = 100.0  # another provider listed for 100 s first
    assert own.passed()
    own.begin()
    assert own.remaining() == 5 and own.message() == "timed out (providers.devices.timeout 5 s)"
    ticks[0] = 105.0
    assert own.own_passed()
    own.expire()
    assert own.expired and not run.expired


def test_waivers_by_id_apply_to_timed_out_resources_and_tag_waivers_cannot(tmp_path, release):
    """A timed-out resource is judged like any error: a waiver naming it by id waives it; one selecting by tag
    would need a read that may hang, so it does not apply (the finding stays error)."""
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("""\
apiVersion: policycheck/v1
kind: Waivers
waivers:
  - {id: W-1, rule: H-ENC-001, resource: "arn:aws:s3:::bucket-1", reason: legacy archive, approver: dpo@example.com,
     created: "2026-04-20", expires: "2026-06-01"}
  - {id: W-2, rule: H-PUB-001, tags: {owner: web}, reason: public website, approver: dpo@example.com,
     created: "2026-04-20", expires: "2026-06-01"}
""", encoding="utf-8")
    book = WaiverBook.of(load_waivers(waivers, today=TODAY), TODAY)
    resource = bucket(1, release)
    resource.tags = {"owner": "web"}  # known from the listing: the tag waiver would match a resource read in time
    assert book.find("H-PUB-001", resource).id == "W-2"
    findings = list(evaluate(rules(tmp_path), [resource], book, evaluation_date=TODAY, workers=2,
                             deadline=Deadline(0.3)))
    results = {f.rule_id: f for f in findings}
    assert results["H-ENC-001"].result is Result.WAIVED and results["H-ENC-001"].waiver.id == "W-1"
    assert results["H-ENC-001"].message.startswith("waived (error): timed out (--timeout 0.3 s)")
    assert results["H-PUB-001"].result is Result.ERROR and results["H-PUB-001"].waiver is None
