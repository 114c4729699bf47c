"""The provider contract: registration, settings, credentials, permissions, demo estate."""

from __future__ import annotations

import json
import socket
from importlib import metadata

import jsonschema
import pytest

from policycheck.errors import ConfigError, CredentialError
from policycheck.provider import CollectPlan, ProviderContext
from policycheck.providers.gcs import GcsProvider
from policycheck.providers.gcs.schema import BUCKET
from policycheck.vocabulary import DATA_STORE

BUCKETS = "gcp.storage.bucket"


def test_entry_point_names_the_provider():
    [entry] = [e for e in metadata.entry_points(group="policycheck.providers") if e.name == "gcs"]
    assert entry.value == "policycheck.providers.gcs:GcsProvider"
    assert entry.load() is GcsProvider


def test_resource_type_exposes_the_shared_vocabulary():
    assert BUCKET.kind == "data-store"
    assert {a.name for a in BUCKET.attributes if not a.name.startswith("raw.")} == {a.name for a in DATA_STORE}
    assert BUCKET.group_of("raw.location_type") == "raw"  # declared one by one: an undeclared raw.* is refused
    assert BUCKET.group_of("access.public") == "access"
    assert BUCKET.group_of("location.jurisdiction") == "core"
    assert BUCKET.group_of("tags.purpose") == "tags"


@pytest.mark.parametrize(("config", "message"), [
    ({"projects": ["Acme Support"]}, "gcs: projects[0]: 'Acme Support' is not a GCP project id"),
    ({"projects": ["acme-support", "x"]}, "gcs: projects[1]: 'x' is not a GCP project id"),
    ({"projects": ["acme-support"], "timeout": 0}, "gcs: timeout: 0 is not a positive number"),
    ({"projects": ["acme-support"], "request_timeout": -1}, "gcs: request_timeout: -1 is not a positive number"),
    ({"buckets": ["just-a-bucket"]}, "gcs: buckets[0]: 'just-a-bucket' is not PROJECT/BUCKET"),
    ({"project": ["acme-support"]}, "gcs: unknown setting 'project'"),
])
def test_bad_settings_are_one_line_config_errors(config, message):
    with pytest.raises(ConfigError) as raised:
        GcsProvider(config, ProviderContext())
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


def test_config_schema_is_valid_and_matches_the_checks():
    schema = GcsProvider.settings_class.json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"projects": ["acme-support"], "credentials_file": "sa.json", "timeout": 30})
    assert not validator.is_valid({"projects": ["Acme Support"]})
    assert not validator.is_valid({"project": "acme-support"})
    assert {s.key for s in GcsProvider.settings_class.specs() if s.flag} <= set(schema["properties"])


@pytest.mark.parametrize(("needs", "config", "expected"), [
    (None, {}, ["storage.buckets.getIamPolicy", "storage.buckets.list"]),
    ({BUCKETS: frozenset({"location.jurisdiction", "tags.purpose"})}, {}, ["storage.buckets.list"]),
    ({BUCKETS: frozenset({"access.public"})}, {}, ["storage.buckets.getIamPolicy", "storage.buckets.list"]),
    ({BUCKETS: frozenset({"encryption.at_rest"})}, {"buckets": ["acme-support/cs-tickets"]},
     ["storage.buckets.get"]),
    ({"aws.s3.bucket": frozenset({"encryption.at_rest"})}, {}, []),
])
def test_permissions_follow_the_plan(needs, config, expected):
    provider = GcsProvider(config, ProviderContext())
    assert provider.permissions(CollectPlan(needs=needs)) == expected


def test_no_call_when_the_plan_has_no_gcs_rules(fake_gcs, collect):
    assert collect({"projects": ["acme-support"]}, needs={"aws.s3.bucket": frozenset({"encryption.at_rest"})}) == []
    assert fake_gcs.requests == []


def test_no_credentials_is_one_line_credential_error(collect):
    with pytest.raises(CredentialError) as raised:
        collect({"projects": ["acme-support"]})
    assert str(raised.value).startswith("gcs: no Google Cloud credentials found")
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(("content", "expected"), [
    (None, "cannot read credentials file"),
    ("{not json", "is not valid JSON"),
    ('{"type": "gdch_service_account"}', "unsupported type 'gdch_service_account'"),
    ('{"type": "service_account", "project_id": "acme-support"}', "incomplete or malformed"),
])
def test_unusable_credentials_file_is_named(tmp_path, collect, content, expected):
    path = tmp_path / "scanner.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(CredentialError) as raised:
        collect({"projects": ["acme-support"], "credentials_file": str(path)})
    assert str(path) in str(raised.value)
    assert expected in str(raised.value)


def test_no_project_is_a_config_error(fake_gcs, collect):
    with pytest.raises(ConfigError, match="no GCP project to scan"):
        collect({})


def test_emulator_project_from_environment(fake_gcs, gcs_data, collect, monkeypatch):
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "acme-support")
    fake_gcs.add("acme-support", gcs_data.bucket("cs-tickets"))
    [resource] = collect({})
    assert resource.account == "acme-support"
    assert all(r.authorization == "" for r in fake_gcs.requests)  # anonymous with an emulator


def key_file(tmp_path, token_uri):
    """A service-account key file (fresh RSA key) whose token endpoint is ``token_uri``."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    path = tmp_path / "scanner.json"
    path.write_text(json.dumps({
        "type": "service_account", "project_id": "acme-support", "private_key_id": "0123456789abcdef",
        "private_key": key, "client_email": "scanner@acme-support.iam.gserviceaccount.com",
        "client_id": "104857600000000000000", "token_uri": token_uri,
    }))
    return str(path)


def test_service_account_file_authenticates_every_call(fake_gcs, gcs_data, collect, tmp_path, monkeypatch):
    """The key file's token endpoint and the API both run on 127.0.0.1; calls carry the token."""
    monkeypatch.delenv("STORAGE_EMULATOR_HOST")  # a configured endpoint instead: credentials are sent
    fake_gcs.require_token = True
    fake_gcs.add("acme-support", gcs_data.bucket("cs-tickets"))
    config = {"credentials_file": key_file(tmp_path, f"{fake_gcs.url}/token"), "endpoint": fake_gcs.url}
    [resource] = collect(config)  # the project comes from the key file
    assert resource.id == "projects/acme-support/buckets/cs-tickets"
    assert resource.get("access.public") is False
    assert fake_gcs.token_requests == 1
    assert {r.authorization for r in fake_gcs.requests} == {"Bearer ya29.fake-access-token"}


@pytest.mark.parametrize(("token_path", "message"), [
    ("/token-revoked", "gcs: the Google credentials were rejected (expired or revoked?)"),
    (None, "gcs: cannot reach Google's token endpoint to refresh the credentials"),
])
def test_credentials_that_cannot_be_refreshed(fake_gcs, gcs_data, collect, tmp_path, monkeypatch, token_path,
                                              message):
    monkeypatch.delenv("STORAGE_EMULATOR_HOST")
    fake_gcs.add("acme-support", gcs_data.bucket("cs-tickets"))
    token_uri = f"{fake_gcs.url}{token_path}" if token_path else f"http://127.0.0.1:{closed_port()}/token"
    config = {"credentials_file": key_file(tmp_path, token_uri), "endpoint": fake_gcs.url, "request_timeout": 0.5}
    with pytest.raises(CredentialError) as raised:
        collect(config)
    assert str(raised.value) == message
    assert fake_gcs.requests == []  # nothing reached the API without a token


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_demo_estate_serves_customer_service_buckets(named):
    with GcsProvider.demo_estate() as config:
        provider = GcsProvider(config, ProviderContext())
        buckets = named(list(provider.collect(CollectPlan())))
        for bucket in buckets.values():
            bucket.load()  # lazy groups read while the emulator runs
    assert set(buckets) == {"acme-cs-ticket-attachments", "acme-cs-chat-transcripts", "acme-cs-call-recordings",
                            "acme-cs-exports-us", "acme-cs-access-logs"}
    exports = buckets["acme-cs-exports-us"]
    assert exports.get("location.jurisdiction") == "adequacy-dpf"
    assert exports.get("access.public_via") == ["acl", "iam"]
    assert exports.get("retention.max_age_days") is None
    assert exports.get("tags.purpose-ends") == "2025-06-30"
    tickets = buckets["acme-cs-ticket-attachments"]
    assert tickets.get("location.jurisdiction") == "EU"
    assert tickets.get("encryption.key_management") == "customer-managed"
    assert tickets.get("retention.max_age_days") == 365
    assert buckets["acme-cs-chat-transcripts"].get("tags.data-categories") == "name__email__chat__bank-details"
    assert all(not b.failed_groups for b in buckets.values())
