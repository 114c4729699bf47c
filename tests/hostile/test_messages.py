"""Items 7 and 9: misleading messages and internal errors that became one-line input errors (exit 2)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hostile_support import bucket

from policycheck.context import RunContext
from policycheck.errors import ConfigError
from policycheck.provider import load_providers


def test_a_pseudonym_key_of_only_white_space_is_refused(cli, pack, snapshot, monkeypatch):
    monkeypatch.setenv("POLICYCHECK_PSEUDONYM_KEY", " \t ")
    result = cli("scan", "-p", pack, "--snapshot", snapshot([bucket(1)]))
    assert result.exit_code == 2
    assert "POLICYCHECK_PSEUDONYM_KEY: set to only white space" in result.output


@pytest.mark.parametrize("field", [{"service_account_impersonation_url": 3}, {"audience": 5}, {"token_url": 5},
                                   {"token_url": ["https://sts.googleapis.com/v1/token"]},
                                   {"credential_source": "file"}, {"credential_source": {"file": 7}}])
def test_external_account_credentials_with_a_non_string_field(cli, tmp_path, field):
    info = {"type": "external_account", "audience": "//iam.googleapis.com/projects/1/locations/global/x",
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
            "token_url": "https://sts.googleapis.com/v1/token", "credential_source": {"file": "/tmp/token"}} | field
    (tmp_path / "creds.json").write_text(json.dumps(info), encoding="utf-8")
    result = cli("scan", "--provider", "gcs", "--gcp-credentials", "creds.json", "--project", "proj-123456")
    assert result.exit_code == 2, result.output
    assert "credentials file creds.json is incomplete or malformed" in result.output
    assert "internal error" not in result.output


@pytest.mark.parametrize("values", [{"regions": 5}, {"regions": [5]}, {"max_attempts": "x"}])
def test_a_wrong_typed_aws_setting_through_the_python_api_is_a_config_error(values):
    context = RunContext(evaluation_date=dt.date(2026, 5, 1)).for_provider("aws")
    with pytest.raises(ConfigError, match=f"^aws: {next(iter(values))}"):
        load_providers().get("aws")(values, context)
