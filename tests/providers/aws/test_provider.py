"""The provider contract: registration, schema and options, settings, lazy SDK import, regions."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

import jsonschema
import pytest

from policycheck.errors import ConfigError
from policycheck.provider import ProviderContext
from policycheck.providers.aws import AwsProvider
from policycheck.vocabulary import DATA_STORE


def test_entry_point_and_resource_types():
    [entry] = [e for e in metadata.entry_points(group="policycheck.providers") if e.name == "aws"]
    assert entry.load() is AwsProvider
    names = {t.name for t in AwsProvider.resource_types}
    assert names == {"aws.s3.bucket", "aws.rds.instance", "aws.rds.cluster", "aws.dynamodb.table"}
    shared = {a.name for a in DATA_STORE}
    for resource_type in AwsProvider.resource_types:
        assert resource_type.kind == "data-store" and resource_type.provider == "aws"
        attributes = {a.name for a in resource_type.attributes}
        assert shared <= attributes
        assert all(name.startswith("raw.") for name in attributes - shared)


def test_groups_are_bound_per_call():
    s3 = next(t for t in AwsProvider.resource_types if t.name == "aws.s3.bucket")
    assert s3.group_of("encryption.at_rest") == s3.group_of("encryption.kms_key") == "encryption"
    assert s3.group_of("access.public") == "access" and s3.group_of("tags.purpose") == "tags"
    assert s3.group_of("location.jurisdiction") == "core"  # known at listing time


def test_config_schema_and_options():
    config = {"regions": ["eu-central-1"], "profiles": ["audit"], "org_role": "OrganizationAccountAccessRole",
              "role_arns": ["arn:aws:iam::123456789012:role/Audit"], "max_attempts": 5, "read_timeout": 20}
    schema = AwsProvider.settings_class.json_schema()
    jsonschema.Draft202012Validator(schema).validate(config)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate({"regions": ["Frankfurt"]})
    assert {s.flag: s.key for s in AwsProvider.settings_class.specs() if s.flag} == {
        "--region": "regions", "--profile": "profiles", "--role-arn": "role_arns", "--org-role": "org_role",
        "--external-id": "external_id", "--accounts": "accounts", "--exclude-accounts": "exclude_accounts",
        "--ou": "ous", "--aws-source": "source", "--config-aggregator": "config_aggregator",
        "--max-config-age": "max_config_age"}


@pytest.mark.parametrize(("config", "message"), [
    ({"regions": ["eu-central-l"]}, "aws: regions[0]: 'eu-central-l' is not a valid region code (e.g. eu-central-1)"),
    ({"role_arns": ["Audit"]}, "aws: role_arns[0]: 'Audit' is not a valid role ARN"),
    ({"regoins": ["eu-central-1"]}, "aws: unknown setting 'regoins'"),
    ({"regions": ["eu-nort-1"]}, "--region: unknown AWS region 'eu-nort-1' (did you mean 'eu-north-1'?)"),
    ({"regions": ["eu-central-1", "us-west-9"]}, "--region: unknown AWS region 'us-west-9'"),
])
def test_bad_settings_are_one_line_config_errors(config, message):
    with pytest.raises(ConfigError) as caught:
        AwsProvider(config, ProviderContext())
    assert str(caught.value).startswith(message)


def test_regions_known_to_botocore_but_not_yet_to_the_table_are_accepted():
    from botocore.session import get_session

    from policycheck.regions import known_regions

    newer = sorted(set(get_session().get_available_regions("s3")) - set(known_regions("aws")))
    if not newer:
        pytest.skip("the region table already knows every region botocore knows")
    AwsProvider({"regions": newer[:1]}, ProviderContext())


@pytest.mark.integration
def test_importing_the_provider_does_not_load_the_sdk():
    code = ("import sys, policycheck.providers.aws; "
            "print(sorted(m for m in ('boto3', 'botocore', 'moto') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_without_configured_regions_every_enabled_region_is_listed(aws, collect, recorder):
    aws.client("dynamodb", region_name="eu-north-1").create_table(
        TableName="nordic", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    [table] = collect({}, {"aws.dynamodb.table": {"location.country"}}, factory=recorder)
    assert (table.name, table.region, table.get("location.country")) == ("nordic", "eu-north-1", "SE")
    assert recorder.operations("ec2") == ["DescribeRegions"]
    assert len(recorder.operations("dynamodb")) > 10  # one ListTables per enabled region
