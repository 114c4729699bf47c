"""access.external_principals for Cloud Storage: IAM members and ACL entities outside the organisation."""

from __future__ import annotations

import pytest

from policycheck.errors import ConfigError
from policycheck.model import Unknown
from policycheck.providers.gcs.members import Home, external_members
from policycheck.providers.gcs.settings import GcsSettings

PROJECT = "acme-support"
NUMBER = "418375902201"
HOME = Home(PROJECT, NUMBER, frozenset({"acme.example"}))
EXTERNAL = {"access.external_principals"}

MEMBERS = [
    ("user:agent@acme.example", False),
    ("user:Agent@ACME.example", False),
    ("group:cs-quality@acme.example", False),
    ("domain:acme.example", False),
    ("user:contractor@callcentre.example", True),
    ("group:outsourced@callcentre.example", True),
    ("domain:callcentre.example", True),
    (f"serviceAccount:exporter@{PROJECT}.iam.gserviceaccount.com", False),
    (f"serviceAccount:service-{NUMBER}@gs-project-accounts.iam.gserviceaccount.com", False),
    (f"serviceAccount:{NUMBER}-compute@developer.gserviceaccount.com", False),
    ("serviceAccount:loader@partner-project.iam.gserviceaccount.com", True),
    ("serviceAccount:service-999999999999@gs-project-accounts.iam.gserviceaccount.com", True),
    (f"projectOwner:{PROJECT}", False),
    ("projectViewer:another-project", True),
    ("principalSet://iam.googleapis.com/locations/global/workforcePools/partner/*", True),
    ("allUsers", False),  # public, not external: access.public reports it
    ("allAuthenticatedUsers", False),
    ("deleted:user:former@callcentre.example?uid=123", False),
    ("unknownKind:someone", True),
]


@pytest.mark.parametrize(("member", "outside"), MEMBERS, ids=[m for m, _ in MEMBERS])
def test_iam_member(member, outside):
    assert external_members([{"role": "roles/storage.objectViewer", "members": [member]}], [], HOME) == \
        ([member] if outside else [])


ENTITIES = [
    ({"entity": f"project-owners-{NUMBER}", "projectTeam": {"projectNumber": NUMBER, "team": "owners"}}, False),
    ({"entity": "project-viewers-999999999999"}, True),
    ({"entity": "user-agent@acme.example"}, False),
    ({"entity": "user-contractor@callcentre.example"}, True),
    ({"entity": "domain-callcentre.example"}, True),
    ({"entity": "group-00b4903a97d4c8b1"}, True),  # an id alone cannot be shown to be inside
    ({"entity": "allUsers"}, False),
]


@pytest.mark.parametrize(("entry", "outside"), ENTITIES, ids=[e["entity"] for e, _ in ENTITIES])
def test_acl_entity(entry, outside):
    assert external_members([], [entry], HOME) == ([entry["entity"]] if outside else [])


def test_without_allowed_domains_every_person_is_outside():
    home = Home(PROJECT, NUMBER)
    members = ["user:agent@acme.example", f"serviceAccount:exporter@{PROJECT}.iam.gserviceaccount.com"]
    assert external_members([{"members": members}], [], home) == ["user:agent@acme.example"]


def test_allowed_domains_setting_is_checked():
    assert GcsSettings.parse({"allowed_domains": ["Acme.Example"]}).allowed_domains == {"acme.example"}
    with pytest.raises(ConfigError, match=r"gcs: allowed_domains\[1\]: 'not a domain' is not a domain name"):
        GcsSettings.parse({"allowed_domains": ["acme.example", "not a domain"]})
    with pytest.raises(ConfigError, match=r"gcs: allowed_domains\[0\]: 3 is not a domain name"):
        GcsSettings.parse({"allowed_domains": [3]})


# -- through the JSON API ---------------------------------------------------------------------------------
def test_external_members_from_iam_and_legacy_acl(fake_gcs, gcs_data, collect):
    d = gcs_data
    fake_gcs.add(PROJECT, d.bucket("cs-shared", iamConfiguration={"uniformBucketLevelAccess": {"enabled": True},
                                                                  "publicAccessPrevention": "enforced"}),
                 bindings=[d.binding("roles/storage.objectViewer", "group:cs-quality@acme.example",
                                     "user:contractor@callcentre.example")])
    legacy = d.legacy_acl("cs-legacy")
    legacy["acl"].append({"kind": "storage#bucketAccessControl", "entity": "user-auditor@audit.example",
                          "role": "READER"})
    fake_gcs.add(PROJECT, d.bucket("cs-legacy", **legacy), bindings=[])
    resources = {r.name: r for r in collect({"projects": [PROJECT], "allowed_domains": ["acme.example"]},
                                            needs={"gcp.storage.bucket": frozenset(EXTERNAL)})}
    # public access prevention does not stop grants to named outsiders: the IAM policy is still read
    assert resources["cs-shared"].get("access.external_principals") == ["user:contractor@callcentre.example"]
    assert resources["cs-legacy"].get("access.external_principals") == ["user-auditor@audit.example"]


def test_unreadable_iam_policy_makes_external_principals_unknown(fake_gcs, gcs_data, collect):
    fake_gcs.add(PROJECT, gcs_data.bucket("cs-hidden"), bindings=[])
    fake_gcs.deny("storage.buckets.getIamPolicy", "cs-hidden")
    [resource] = collect({"projects": [PROJECT]}, needs={"gcp.storage.bucket": frozenset(EXTERNAL)})
    value = resource.get("access.external_principals")
    assert isinstance(value, Unknown) and "storage.buckets.getIamPolicy" in value.reason
