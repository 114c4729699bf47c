"""A moto organisation of 20 accounts, scanned whole and in shards: the merge equals the unsharded report;
--accounts/--exclude-accounts/--ou narrow the accounts; a shard assumes roles only into its own accounts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from policycheck.cli import main
from policycheck.errors import ConfigError
from policycheck.provider import ProviderContext
from policycheck.shard import Shard

from .test_accounts import member_session

ROLE = "OrganizationAccountAccessRole"
PACK = """apiVersion: policycheck/v1
kind: PolicyPack
metadata: {name: org-shards, version: "1.0.0"}
rules:
  - {id: S3-ENC, title: Encrypted, severity: high, resources: [aws.s3.bucket],
     require: {attr: encryption.at_rest, equals: true}}
  - {id: S3-VER, title: Versioned, severity: medium, resources: [aws.s3.bucket],
     when: {attr: tags.data-classification, equals: personal}, require: {attr: versioning.enabled, equals: true}}
"""


def organisation(session, accounts: int = 20, buckets: int = 2) -> list[str]:
    """An organisation of ``accounts`` members (the management account too), each with its buckets."""
    client = session.client("organizations")
    client.create_organization(FeatureSet="ALL")
    members = [client.create_account(AccountName=f"cs-{n:02d}", Email=f"cs-{n:02d}@example.com")
               ["CreateAccountStatus"]["AccountId"] for n in range(accounts - 1)]
    for n, account in enumerate(members):
        s3 = member_session(session, account).client("s3")
        for b in range(buckets):
            name = f"cs-{n:02d}-data-{b}"
            s3.create_bucket(Bucket=name)
            if (n + b) % 3:
                s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "data-classification",
                                                                        "Value": "personal"}]})
            if (n + b) % 4 == 0:
                s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    session.client("s3").create_bucket(Bucket="management-logs")
    return members


def scan(folder: Path, output: str, *extra: str) -> int:
    args = ["scan", "--provider", "aws", "--org-role", ROLE, "--region", "us-east-1", "-p", str(folder / "pack.yaml"),
            "--evaluation-date", "2026-11-02", "-f", f"json={folder / output}", *extra]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code in (0, 1), result.stderr
    return result.exit_code


def comparable(path: Path) -> dict:
    document = json.loads(path.read_text(encoding="utf-8"))
    for key in ("started", "finished"):
        document["run"].pop(key)
    return document


def test_sharded_organisation_merges_to_the_unsharded_report(aws, tmp_path):
    organisation(aws, buckets=1)
    (tmp_path / "pack.yaml").write_text(PACK)
    whole_exit = scan(tmp_path, "whole.json")
    whole = comparable(tmp_path / "whole.json")
    assert whole["summary"]["resources"] == 20 and whole["summary"]["results"]["fail"]
    assert len({f["resource"]["account"] for f in whole["findings"]}) == 20
    for count in (1, 2, 3, 7):
        names = [f"shard-{count}-{i}.json" for i in range(1, count + 1)]
        for index, name in enumerate(names, 1):
            scan(tmp_path, name, "--shard", f"{index}/{count}")
            shard = json.loads((tmp_path / name).read_text())["run"]["shard"]
            assert shard == {"index": index, "count": count,
                             "partition": {"aws": "resource id" if count == 1 else "account"}}
        result = CliRunner().invoke(main, ["merge", *(str(tmp_path / n) for n in names), "-o",
                                           str(tmp_path / "merged.json")], catch_exceptions=False)
        assert result.exit_code == whole_exit, result.stderr
        assert comparable(tmp_path / "merged.json") == whole, f"N={count}"


def test_few_accounts_are_split_by_bucket_and_merge_to_the_whole(aws, tmp_path):
    members = organisation(aws, accounts=3, buckets=4)
    (tmp_path / "pack.yaml").write_text(PACK)
    narrowed = ("--accounts", members[0], "--accounts", members[1])
    whole_exit = scan(tmp_path, "whole.json", *narrowed)
    whole = comparable(tmp_path / "whole.json")
    assert whole["summary"]["resources"] == 8
    names = [f"s{i}.json" for i in (1, 2, 3)]
    for index, name in enumerate(names, 1):
        scan(tmp_path, name, *narrowed, "--shard", f"{index}/3")
        assert json.loads((tmp_path / name).read_text())["run"]["shard"]["partition"] == {"aws": "resource id"}
    result = CliRunner().invoke(main, ["merge", *(str(tmp_path / n) for n in names), "-o",
                                       str(tmp_path / "merged.json")], catch_exceptions=False)
    assert result.exit_code == whole_exit
    assert comparable(tmp_path / "merged.json") == whole


S3_ENC = {"aws.s3.bucket": {"encryption.at_rest"}}


def test_an_account_shard_assumes_roles_only_into_its_own_accounts(aws, collect, recorder):
    organisation(aws, accounts=12, buckets=1)
    seen: list[set[str]] = []
    for index in (1, 2, 3):
        recorder.calls.clear()
        context = ProviderContext(shard=Shard(index, 3))
        resources = collect({"org_role": ROLE, "regions": ["us-east-1"]}, S3_ENC, factory=recorder, context=context)
        accounts = {r.account for r in resources}
        assert context.partition == "account" and context.partitioned
        assert recorder.operations("sts").count("AssumeRole") == len(accounts - {"123456789012"})
        assert recorder.operations("s3").count("ListBuckets") == len(accounts)
        seen.append(accounts)
    assert sum(len(s) for s in seen) == 12 and len(set().union(*seen)) == 12


def test_a_resource_shard_reads_details_only_of_its_own_buckets(aws, collect, recorder, make_bucket):
    for n in range(12):
        make_bucket(aws, f"bucket-{n:02d}")
    owned = []
    for index in (1, 2, 3):
        recorder.calls.clear()
        context = ProviderContext(shard=Shard(index, 3))
        resources = collect({"regions": ["us-east-1"]}, S3_ENC, factory=recorder, context=context)
        for resource in resources:
            assert resource.get("encryption.at_rest") is False  # moto leaves new buckets unencrypted
        s3 = recorder.operations("s3")
        assert s3.count("ListBuckets") == 1  # one listing per shard
        assert s3.count("GetBucketEncryption") == s3.count("GetBucketLocation") == len(resources)
        owned.append({r.name for r in resources})
    assert sorted(set().union(*owned)) == [f"bucket-{n:02d}" for n in range(12)] and sum(map(len, owned)) == 12


def test_ou_narrows_to_its_accounts_and_child_ous(aws, collect):
    members = organisation(aws, accounts=6, buckets=1)
    client = aws.client("organizations")
    root = client.list_roots()["Roots"][0]["Id"]
    support = client.create_organizational_unit(ParentId=root, Name="customer-service")["OrganizationalUnit"]["Id"]
    emea = client.create_organizational_unit(ParentId=support, Name="emea")["OrganizationalUnit"]["Id"]
    for account, parent in ((members[0], support), (members[1], emea), (members[2], emea)):
        client.move_account(AccountId=account, SourceParentId=root, DestinationParentId=parent)
    resources = collect({"org_role": ROLE, "regions": ["us-east-1"], "ous": [support],
                         "exclude_accounts": [members[2]]}, S3_ENC)
    assert sorted(r.account for r in resources) == sorted(members[:2])
    only_emea = collect({"org_role": ROLE, "regions": ["us-east-1"], "ous": [emea]}, S3_ENC)
    assert sorted(r.account for r in only_emea) == sorted(members[1:3])


def test_an_unknown_ou_stops_the_scan(aws, collect):
    organisation(aws, accounts=2, buckets=1)
    with pytest.raises(ConfigError, match="organizational unit 'ou-abcd-12345678' not found in the organization"):
        collect({"org_role": ROLE, "regions": ["us-east-1"], "ous": ["ou-abcd-12345678"]}, S3_ENC)


@pytest.mark.parametrize(("config", "message"), [
    ({"ous": ["ou-abcd-12345678"]}, "--ou narrows the accounts of --org-role or --config-aggregator"),
    ({"org_role": ROLE, "ous": ["sales"]}, "an OU id"),
])
def test_bad_ou_settings_are_refused(config, message):
    from policycheck.providers.aws import AwsProvider

    with pytest.raises(ConfigError, match=message):
        AwsProvider(config, ProviderContext())


def test_accounts_flags_reach_the_provider(aws, tmp_path):
    members = organisation(aws, accounts=4, buckets=1)
    (tmp_path / "pack.yaml").write_text(PACK)
    scan(tmp_path, "some.json", "--accounts", members[0], "--accounts", members[1], "--exclude-accounts", members[1])
    accounts = {f["resource"]["account"] for f in json.loads((tmp_path / "some.json").read_text())["findings"]}
    assert accounts == {members[0]}
