"""Resource: lazy collection groups, unknown values, thread safety; findings and fingerprints."""

from __future__ import annotations

import hashlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from policycheck.errors import CollectionError
from policycheck.model import Finding, ResourceRef, Result, Severity, Unknown, fingerprint
from policycheck.model import Resource as R


def groups(path: str) -> str:
    return path.split(".")[0]


def test_known_fields_and_attributes_need_no_fetch():
    calls = []
    r = R(type="t", id="i", name="n", provider="p", account="a", region="eu", attributes={"x.y": 1},
          fetchers={"enc": lambda: calls.append(1) or {}}, group_of=groups)
    assert (r.get("id"), r.get("account"), r.get("region"), r.get("type")) == ("i", "a", "eu", "t")
    assert r.get("x.y") == 1
    assert calls == []
    assert r.has_pending_fetch


def test_a_group_is_fetched_once_on_first_read():
    calls = []

    def fetch():
        calls.append(1)
        return {"enc.at_rest": True, "enc.key": "k"}
    r = R(type="t", id="i", name="n", provider="p", fetchers={"enc": fetch}, group_of=groups)
    assert r.get("enc.at_rest") is True
    assert r.get("enc.key") == "k"
    assert r.get("enc.missing") is None  # supplied group, attribute not set: None, not unknown
    assert calls == [1]
    assert not r.has_pending_fetch


def test_collection_error_makes_the_whole_group_unknown():
    def fetch():
        raise CollectionError("AccessDenied", action="s3:GetBucketEncryption")
    r = R(type="t", id="i", name="n", provider="p", fetchers={"enc": fetch, "acc": lambda: {"acc.public": False}},
          group_of=groups)
    for path in ("enc.at_rest", "enc.key"):
        value = r.get(path)
        assert isinstance(value, Unknown)
        assert value.reason == "AccessDenied (s3:GetBucketEncryption)"
    assert r.get("acc.public") is False
    assert r.failed_groups == {"enc": "AccessDenied (s3:GetBucketEncryption)"}


def test_an_unexpected_exception_is_unknown_not_a_crash():
    def fetch():
        raise KeyError("Rules")
    r = R(type="t", id="i", name="n", provider="p", fetchers={"life": fetch}, group_of=groups)
    value = r.get("life.days")
    assert isinstance(value, Unknown)
    assert "unexpected KeyError" in value.reason and "'life'" in value.reason


def test_unknown_has_no_truth_value():
    with pytest.raises(TypeError):
        bool(Unknown("x"))
    assert Unknown("x") != Unknown("y")


def test_tags_known_at_listing_or_from_a_fetcher():
    listed = R(type="t", id="i", name="n", provider="p", tags={"env": "prod"})
    assert listed.get("tags.env") == "prod"
    assert listed.get("tags.missing") is None
    fetched = R(type="t", id="i", name="n", provider="p", fetchers={"tags": lambda: {"tags": {"env": "dev"}}})
    assert fetched.get("tags.env") == "dev"
    assert fetched.tags == {"env": "dev"}
    never = R(type="t", id="i", name="n", provider="p")
    assert isinstance(never.get("tags.env"), Unknown)

    def denied():
        raise CollectionError("no tagging permission", action="tag:GetResources")
    failed = R(type="t", id="i", name="n", provider="p", fetchers={"tags": denied})
    assert failed.get("tags.env").reason == "no tagging permission (tag:GetResources)"


def test_explicit_unknown_and_absent():
    r = R(type="t", id="i", name="n", provider="p", attributes={"a": 1}, unknown={"b": "throttled"},
          absent="not collected in snapshot s.json")
    assert r.get("a") == 1
    assert r.get("b") == Unknown("throttled")
    assert r.get("c") == Unknown("not collected in snapshot s.json")


def test_concurrent_first_reads_fetch_once():
    calls = []
    gate = threading.Event()

    def slow():
        calls.append(1)
        gate.wait(1)
        return {"enc.at_rest": True}
    r = R(type="t", id="i", name="n", provider="p", fetchers={"enc": slow}, group_of=groups)
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(r.get, "enc.at_rest") for _ in range(8)]
        time.sleep(0.05)
        gate.set()
        assert [f.result() for f in futures] == [True] * 8
    assert calls == [1]


def test_load_runs_chosen_or_all_pending_groups():
    calls = []
    r = R(type="t", id="i", name="n", provider="p", group_of=groups,
          fetchers={g: (lambda g=g: calls.append(g) or {f"{g}.v": 1}) for g in ("a", "b", "c")})
    r.load(["b"])
    assert calls == ["b"]
    r.load()
    assert sorted(calls) == ["a", "b", "c"]
    assert r.known_attributes == {"a.v": 1, "b.v": 1, "c.v": 1}


def _finding(**ref) -> Finding:
    base = {"type": "t", "id": "bucket-1", "name": "b", "provider": "p", "account": "111", "region": "eu-west-1"}
    return Finding("R-1", Severity.HIGH, ResourceRef(**{**base, **ref}), Result.FAIL, "m")


def test_fingerprint_is_stable_and_depends_on_rule_account_region_and_id_only():
    a = _finding()
    assert a.fingerprint == fingerprint("R-1", "111", "eu-west-1", "bucket-1")
    assert a.fingerprint == "2a34e335577d61c856f43ba764c8a502"  # pinned: baselines from older runs must match
    assert a.fingerprint == hashlib.sha256(b"R-1\x1f111\x1feu-west-1\x1fbucket-1").hexdigest()[:32]
    assert _finding(name="renamed").fingerprint == a.fingerprint
    assert _finding(account="222").fingerprint != a.fingerprint
    assert _finding(region="eu-central-1").fingerprint != a.fingerprint
    assert _finding(id="bucket-2").fingerprint != a.fingerprint
    # the separator keeps fields apart: ("a", "bc") and ("ab", "c") differ
    assert fingerprint("R", "a", "bc", "x") != fingerprint("R", "ab", "c", "x")


def test_severity_parse_and_order():
    assert Severity.parse("High") is Severity.HIGH
    assert Severity.INFO < Severity.LOW < Severity.MEDIUM < Severity.HIGH < Severity.CRITICAL
    with pytest.raises(KeyError):
        Severity.parse("urgent")
