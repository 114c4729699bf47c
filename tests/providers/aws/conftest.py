"""Fixtures for the AWS provider: moto in-process, a moto server subprocess, request recording."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import boto3
import botocore.endpoint
import botocore.loaders
import botocore.retries.bucket
import botocore.session
import pytest
from moto import mock_aws

from policycheck.model import Resource
from policycheck.provider import CollectPlan, ProviderContext
from policycheck.providers.aws import AwsProvider

ACCOUNT = "123456789012"


def clean_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No user profile, endpoint or credential from the machine leaks into a test."""
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto in-process; yields a boto3 session for building the estate."""
    clean_aws_env(monkeypatch)
    with mock_aws():
        yield boto3.Session(region_name="us-east-1")


@dataclass
class Recorder:
    """A session factory that records every API operation (and HTTP attempt) the provider makes."""

    calls: list[tuple[str, str]] = field(default_factory=list)
    sends: list[tuple[str, str]] = field(default_factory=list)
    session_kwargs: dict[str, Any] = field(default_factory=dict)
    first_send_handlers: list[tuple[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, **kwargs: Any) -> Any:
        session = boto3.Session(**{**self.session_kwargs, **kwargs})
        session.events.register("before-call", self._call)
        session.events.register_first("before-send", self._send)
        for event, handler in self.first_send_handlers:
            session.events.register_first(event, handler)
        return session

    def _call(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls.append((model.service_model.service_name, model.name))

    def _send(self, request: Any, **_: Any) -> None:
        with self._lock:
            self.sends.append((request.method, request.url))

    def operations(self, service: str | None = None) -> list[str]:
        return [op for svc, op in self.calls if service is None or svc == service]


class _LeapingClock(botocore.retries.bucket.Clock):
    """The clock of botocore's adaptive rate limiter, a minute later at each reading: its token bucket is
    always full again, so a client never waits for a token after a throttle."""

    def __init__(self) -> None:
        self._now = time.time()

    def current_time(self) -> float:
        self._now += 60
        return self._now

    def sleep(self, amount: float) -> None:
        pass


@pytest.fixture
def retry_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Throttling tests without botocore's waits: the backoff before each retry is recorded instead of slept
    (only botocore's endpoint module sees the stub), and the adaptive rate limiter's clock leaps ahead.
    Clients created after this fixture get both; the retry decisions stay botocore's own."""
    sleeps: list[float] = []
    monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=sleeps.append))
    monkeypatch.setattr(botocore.retries.bucket, "Clock", _LeapingClock)
    return sleeps


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(name="collect")
def collect_fixture() -> Any:
    """``collect(config, needs, factory=..., context=...)`` -> resources."""
    return collect


@pytest.fixture(name="restricted_user")
def restricted_user_fixture() -> Any:
    """``restricted_user(session, deny)`` -> credentials of an IAM user allowed everything but ``deny``."""
    return restricted_user


def restricted_user(session: Any, deny: list[str]) -> dict[str, str]:
    """An IAM user allowed everything except ``deny`` (moto checks its policies once auth is on)."""
    iam = session.client("iam")
    iam.create_user(UserName="scanner")
    iam.put_user_policy(UserName="scanner", PolicyName="scan", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": deny, "Resource": "*"}]}))
    key = iam.create_access_key(UserName="scanner")["AccessKey"]
    return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


@pytest.fixture(name="make_bucket")
def make_bucket_fixture() -> Any:
    return make_bucket


def plan_for(needs: dict[str, set[str] | None] | None, workers: int = 8) -> CollectPlan:
    """A plan reading ``needs`` per type; None for a type means every attribute of it (and its tags)."""
    if needs is None:
        return CollectPlan(max_workers=workers)
    types = {t.name: t for t in AwsProvider.resource_types}
    every = {name: {a.name for a in types[name].attributes} | {"tags.any"} for name in needs}
    return CollectPlan(needs={k: frozenset(every[k] if v is None else v) for k, v in needs.items()},
                       max_workers=workers)


def collect(config: dict[str, Any] | None = None, needs: dict[str, set[str]] | None = None, *,
            factory: Any = None, context: ProviderContext | None = None) -> list[Resource]:
    provider = AwsProvider({"regions": ["us-east-1", "eu-central-1"]} if config is None else config,
                           context or ProviderContext(),
                           session_factory=factory)
    return list(provider.collect(plan_for(needs)))


def make_bucket(session: Any, name: str, region: str = "us-east-1", **settings: Any) -> Any:
    s3 = session.client("s3", region_name=region)
    s3.create_bucket(Bucket=name, **({} if region == "us-east-1" else
                                     {"CreateBucketConfiguration": {"LocationConstraint": region}}))
    if "tags" in settings:
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v}
                                                               for k, v in settings["tags"].items()]})
    return s3


# -- moto server subprocess -----------------------------------------------------------------------
RUNNING_ON = re.compile(r"Running on (http://127\.0\.0\.1:\d+)")


@dataclass
class MotoServer:
    url: str
    process: subprocess.Popen

    def reset(self) -> None:
        urllib.request.urlopen(urllib.request.Request(f"{self.url}/moto-api/reset", method="POST"), timeout=10)


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """``python -m moto.server`` for end-to-end CLI tests, on a port of 127.0.0.1 that the OS picks when the
    server binds (``-p 0``), so parallel pytest-xdist workers each get their own; the server logs the URL."""
    log = tmp_path_factory.mktemp("moto-server") / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "0"],
                                   stdout=subprocess.DEVNULL, stderr=sink)
    deadline = time.monotonic() + 30
    while True:
        running = RUNNING_ON.search(log.read_text(encoding="utf-8", errors="replace"))
        try:
            if running:
                url = running.group(1)
                urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=1)
                break
        except OSError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError(f"moto server did not start: {log.read_text(errors='replace')[-500:]}")
        time.sleep(0.1)
    try:
        yield MotoServer(url, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


# -- one botocore data loader for the whole test session ---------------------------------------------
class _Paths(list):
    """Search paths that ignore a path already listed (boto3 appends its own at every Session())."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


@pytest.fixture(scope="session", autouse=True)
def _shared_botocore_loader() -> Iterator[None]:
    """Every session of the test run shares one botocore Loader, so each service model and endpoints
    file is parsed once, not once per ``boto3.Session()`` (what a long-lived session does anyway)."""
    loaders: dict[str | None, Any] = {}

    def shared(search_path_string: str | None = None) -> Any:
        if search_path_string not in loaders:
            loader = botocore.loaders.create_loader(search_path_string)
            loader._search_paths = _Paths(loader.search_paths)
            loaders[search_path_string] = loader
        return loaders[search_path_string]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", shared)
        yield
