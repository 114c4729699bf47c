"""Every rule of gdpr-customer-service passes and fails where it should, on every type it targets.

Each case starts from a compliant resource of a shipped type (gdpr_testkit.COMPLIANT) and
changes a few tags or attributes. A case without ``types`` runs on every shipped type the rule
targets; ``test_every_rule_has_a_passing_and_a_failing_case_per_type`` keeps the table complete.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import policycheck_gdpr_testkit as kit
import pytest

from policycheck.engine import evaluate_resource
from policycheck.model import Result

PASS, FAIL, ERROR, OUT = Result.PASS, Result.FAIL, Result.ERROR, None
STORES = kit.DATA_STORE_TYPES
RDS = ("aws.rds.instance", "aws.rds.cluster")
NATIVE_EXPIRY = ("aws.s3.bucket", "aws.dynamodb.table", "gcp.storage.bucket")
NO_JOB = {"tags.deletion-job": None}
BUCKETS = ("aws.s3.bucket", "gcp.storage.bucket")
DATABASES = ("aws.rds.instance", "aws.rds.cluster", "aws.dynamodb.table")
#: Rules that target only some store types (the rest target every data store, or every device).
RULE_TYPES = {"GDPR-RET-006": BUCKETS, "GDPR-SEC-008": DATABASES, "GDPR-SEC-009": ("aws.s3.bucket",),
              # database tables only: tested on real servers in tests/providers/db/test_db_rules_cli.py
              "GDPR-RET-009": ()}
HGB10 = {"tags.retention-basis": "hgb-10y"}
RECORDINGS = {"tags.purpose": "call-recording", "tags.data-categories": "phone voice", "tags.retention-days": "60",
              "tags.legal-basis": "consent", "tags.consent-record": "crm:call_consents"}
US = {"location.country": "US", "location.jurisdiction": "adequacy-dpf"}
THIRD = {"location.country": "IN", "location.jurisdiction": "third-country"}


@dataclass(frozen=True)
class Case:
    rule: str
    expect: Result | None  # None: the resource is out of the rule's scope
    why: str
    changes: dict[str, Any] = field(default_factory=dict)
    types: tuple[str, ...] | None = None  # None: every shipped type the rule targets
    params: dict[str, Any] = field(default_factory=dict)
    unknown: dict[str, str] = field(default_factory=dict)


CASES = [
    # -- records and purpose ------------------------------------------------------------------
    Case("GDPR-REC-001", PASS, "classified personal"),
    Case("GDPR-REC-001", PASS, "classified public", {"tags.data-classification": "public"}),
    Case("GDPR-REC-001", FAIL, "no classification tag", {"tags.data-classification": None}),
    Case("GDPR-REC-001", FAIL, "classification outside the list", {"tags.data-classification": "secret"}),
    Case("GDPR-REC-001", PASS, "own tag key mapped by param", {"tags.data-classification": None,
         "tags.classification": "internal"}, params={"tag_classification": "classification"}),
    Case("GDPR-REC-002", PASS, "allowed purpose"),
    Case("GDPR-REC-002", FAIL, "purpose not in the record", {"tags.purpose": "marketing"}),
    Case("GDPR-REC-002", FAIL, "no purpose tag", {"tags.purpose": None}),
    Case("GDPR-REC-002", FAIL, "unclassified store is treated as personal",
         {"tags.data-classification": None, "tags.purpose": None}),
    Case("GDPR-REC-002", OUT, "public store", {"tags.data-classification": "public", "tags.purpose": None}),
    Case("GDPR-REC-002", PASS, "purpose added by param", {"tags.purpose": "marketing"},
         params={"allowed_purposes": ["marketing"]}),
    Case("GDPR-REC-003", PASS, "retention declared in days"),
    Case("GDPR-REC-003", FAIL, "no retention tag", {"tags.retention-days": None}),
    Case("GDPR-REC-003", FAIL, "retention not a number", {"tags.retention-days": "forever"}),
    Case("GDPR-REC-003", FAIL, "retention zero", {"tags.retention-days": "0"}),
    Case("GDPR-REC-004", PASS, "categories declared"),
    Case("GDPR-REC-004", FAIL, "no categories tag", {"tags.data-categories": None}),
    Case("GDPR-REC-004", FAIL, "empty categories tag", {"tags.data-categories": ""}),
    Case("GDPR-REC-005", PASS, "bank details in a sensitive store",
         {"tags.data-classification": "sensitive", "tags.purpose": "billing",
          "tags.data-categories": "name bank-details"}),
    Case("GDPR-REC-005", FAIL, "bank details in a personal store",
         {"tags.purpose": "billing", "tags.data-categories": "name,bank-details"}),
    Case("GDPR-REC-005", FAIL, "health data in an unclassified store",
         {"tags.data-classification": None, "tags.data-categories": "health"}),
    Case("GDPR-REC-005", OUT, "no high-risk category"),
    Case("GDPR-DSR-001", PASS, "owner named"),
    Case("GDPR-DSR-001", FAIL, "no owner tag", {"tags.data-owner": None}),
    Case("GDPR-DSR-001", FAIL, "empty owner tag", {"tags.data-owner": ""}),
    Case("GDPR-DSR-001", OUT, "internal store", {"tags.data-classification": "internal", "tags.data-owner": None}),
    # -- minimisation -------------------------------------------------------------------------
    Case("GDPR-MIN-001", PASS, "categories allowed for customer support"),
    Case("GDPR-MIN-001", PASS, "list separators of tag values", {"tags.data-categories": "name+email/order"}),
    Case("GDPR-MIN-001", FAIL, "chat transcripts with bank details",
         {"tags.data-categories": "name email chat bank-details"}),
    Case("GDPR-MIN-001", FAIL, "names in analytics", {"tags.purpose": "service-analytics",
                                                      "tags.data-categories": "customer-id name"}),
    Case("GDPR-MIN-001", FAIL, "purpose missing from the map allows nothing", {"tags.purpose": "marketing"}),
    Case("GDPR-MIN-001", PASS, "map overridden by param", {"tags.purpose": "marketing"},
         params={"allowed_categories_by_purpose": {"marketing": ["name", "email", "order"]}}),
    Case("GDPR-MIN-001", PASS, "purpose key mapped by param",
         {"tags.purpose": None, "tags.zweck": "billing", "tags.data-categories": "bank-details"},
         params={"tag_purpose": "zweck"}),
    # -- storage limitation -------------------------------------------------------------------
    Case("GDPR-RET-001", PASS, "lifecycle or TTL deletes", types=NATIVE_EXPIRY),
    Case("GDPR-RET-001", PASS, "database references its deletion job", types=RDS),
    Case("GDPR-RET-001", FAIL, "nothing deletes", {"retention.mechanism": [], **NO_JOB}),
    Case("GDPR-RET-001", FAIL, "object lock only keeps data", {"retention.mechanism": ["object-lock"], **NO_JOB}),
    Case("GDPR-RET-001", PASS, "retention policy counts", {"retention.mechanism": ["retention-policy"]},
         types=NATIVE_EXPIRY),
    Case("GDPR-RET-002", PASS, "expiry within the declared retention", types=("aws.s3.bucket", "gcp.storage.bucket")),
    Case("GDPR-RET-002", PASS, "TTL expires items individually", types=("aws.dynamodb.table",)),
    Case("GDPR-RET-002", FAIL, "TTL with a retention beyond the ceiling", {"tags.retention-days": "4000"},
         types=("aws.dynamodb.table",)),
    Case("GDPR-RET-002", PASS, "expiry equal to the declared retention",
         {"retention.max_age_days": 400, "tags.retention-days": "400"}),
    Case("GDPR-RET-002", PASS, "no expiry, deletion job, retention below the ceiling", types=RDS),
    Case("GDPR-RET-002", FAIL, "expiry later than declared", {"retention.max_age_days": 366,
                                                              "tags.retention-days": "365"}),
    Case("GDPR-RET-002", FAIL, "expiry beyond the ceiling", {"retention.max_age_days": 4000,
                                                             "tags.retention-days": "5000"}),
    Case("GDPR-RET-002", FAIL, "nothing deletes", {"retention.max_age_days": None, "retention.mechanism": [],
                                                   **NO_JOB}),
    Case("GDPR-RET-002", FAIL, "lifecycle spares some items", {"retention.max_age_days": None,
                                                               "retention.mechanism": ["lifecycle"], **NO_JOB}),
    Case("GDPR-RET-002", FAIL, "expiry but no declared retention", {"retention.max_age_days": 30,
                                                                    "tags.retention-days": None}),
    Case("GDPR-RET-002", FAIL, "deletion job with retention beyond the ceiling",
         {"retention.max_age_days": None, "tags.deletion-job": "cron:purge", "tags.retention-days": "4000"}),
    Case("GDPR-RET-002", FAIL, "a deletion job does not excuse a too-long expiry",
         {"retention.max_age_days": 900, "tags.deletion-job": "cron:purge", "tags.retention-days": "365"}),
    Case("GDPR-RET-002", FAIL, "ceiling lowered by param", {"retention.max_age_days": 30, "tags.retention-days":
                                                            "30"}, params={"max_retention_days": 20}),
    Case("GDPR-RET-003", PASS, "purpose ends in the future", {"tags.purpose-ends": "2027-12-31"}),
    Case("GDPR-RET-003", PASS, "purpose ends today", {"tags.purpose-ends": kit.EVALUATED_ON.isoformat()}),
    Case("GDPR-RET-003", FAIL, "purpose ended", {"tags.purpose-ends": "2024-12-31"}),
    Case("GDPR-RET-003", FAIL, "unreadable purpose-end date", {"tags.purpose-ends": "end of campaign"}),
    Case("GDPR-RET-003", OUT, "no purpose-end date"),
    Case("GDPR-RET-003", OUT, "public store", {"tags.data-classification": "public",
                                              "tags.purpose-ends": "2024-12-31"}),
    Case("GDPR-RET-004", PASS, "backups within the limit or none"),
    Case("GDPR-RET-004", FAIL, "backups kept 90 days", {"backup.enabled": True, "backup.retention_days": 90}),
    Case("GDPR-RET-004", FAIL, "backups of unknown length", {"backup.enabled": True, "backup.retention_days": None}),
    Case("GDPR-RET-004", PASS, "backups disabled", {"backup.enabled": False, "backup.retention_days": 90}),
    Case("GDPR-RET-005", PASS, "soft delete within the limit"),
    Case("GDPR-RET-005", FAIL, "noncurrent versions never expire", {"retention.soft_delete_days": None}),
    Case("GDPR-RET-005", FAIL, "soft delete 60 days", {"retention.soft_delete_days": 60}),
    # -- security -------------------------------------------------------------------------------
    Case("GDPR-SEC-001", PASS, "encrypted"),
    Case("GDPR-SEC-001", FAIL, "not encrypted", {"encryption.at_rest": False, "encryption.key_management": "none"}),
    Case("GDPR-SEC-001", ERROR, "encryption could not be read", unknown={
        "encryption.at_rest": "AccessDenied (s3:GetEncryptionConfiguration)"}),
    Case("GDPR-SEC-002", PASS, "sensitive with customer-managed key", {"tags.data-classification": "sensitive"}),
    Case("GDPR-SEC-002", FAIL, "sensitive with provider-managed key",
         {"tags.data-classification": "sensitive", "encryption.key_management": "provider-managed"}),
    Case("GDPR-SEC-002", OUT, "personal with provider-managed key",
         {"encryption.key_management": "provider-managed"}),
    Case("GDPR-SEC-003", PASS, "TLS enforced"),
    Case("GDPR-SEC-003", FAIL, "plain connections allowed", {"encryption.in_transit_enforced": False}),
    Case("GDPR-SEC-004", PASS, "not public"),
    Case("GDPR-SEC-004", FAIL, "public", {"access.public": True, "access.public_via": ["policy"]}),
    Case("GDPR-SEC-004", FAIL, "exposure not reported", {"access.public": None}),
    Case("GDPR-SEC-004", FAIL, "unclassified and public", {"access.public": True,
                                                           "tags.data-classification": None}),
    Case("GDPR-SEC-004", OUT, "public help-centre assets", {"access.public": True,
                                                            "tags.data-classification": "public"}),
    Case("GDPR-SEC-005", PASS, "backups or versioning"),
    Case("GDPR-SEC-005", FAIL, "neither backups nor versioning", {"backup.enabled": False,
                                                                  "versioning.enabled": False}),
    Case("GDPR-SEC-006", PASS, "access logged"),
    Case("GDPR-SEC-006", FAIL, "no access logging", {"logging.access_logging": False}),
    # -- transfers ------------------------------------------------------------------------------
    Case("GDPR-LOC-001", PASS, "in the EU"),
    Case("GDPR-LOC-001", PASS, "adequacy country", {"location.country": "GB", "location.jurisdiction": "adequacy"}),
    Case("GDPR-LOC-001", FAIL, "third country", {"location.country": "US", "location.jurisdiction": "third-country"}),
    Case("GDPR-LOC-001", FAIL, "location unknown to the region table", {"location.jurisdiction": "unknown"}),
    Case("GDPR-LOC-001", FAIL, "adequacy excluded by param", {"location.jurisdiction": "adequacy"},
         params={"allowed_jurisdictions": ["EU"]}),
    Case("GDPR-LOC-002", PASS, "no replicas"),
    Case("GDPR-LOC-002", PASS, "replicas in EU and adequacy", {"replication.jurisdictions": ["EU", "adequacy"]}),
    Case("GDPR-LOC-002", FAIL, "replica in a third country", {"replication.jurisdictions": ["EU", "third-country"]}),
    Case("GDPR-LOC-002", FAIL, "adequacy replica excluded by param", {"replication.jurisdictions": ["adequacy"]},
         params={"allowed_jurisdictions": ["EU", "EEA"]}),
    # -- processors -----------------------------------------------------------------------------
    Case("GDPR-PRC-001", PASS, "processor with DPA reference", {"tags.processor": "acme-callcenter",
                                                                "tags.dpa-reference": "DPA-2026-007"}),
    Case("GDPR-PRC-001", FAIL, "processor without DPA reference", {"tags.processor": "acme-callcenter"}),
    Case("GDPR-PRC-001", OUT, "no processor"),
    Case("GDPR-PRC-002", PASS, "approved processor", {"tags.processor": "acme-callcenter"},
         params={"approved_processors": ["acme-callcenter"]}),
    Case("GDPR-PRC-002", FAIL, "nothing approved by default", {"tags.processor": "acme-callcenter"}),
    Case("GDPR-PRC-002", FAIL, "processor not on the list", {"tags.processor": "cheap-offshore"},
         params={"approved_processors": ["acme-callcenter"]}),
    Case("GDPR-PRC-002", OUT, "no processor"),
    # -- home office ----------------------------------------------------------------------------
    Case("GDPR-DEV-001", PASS, "disk encrypted"),
    Case("GDPR-DEV-001", FAIL, "disk not encrypted", {"encryption.at_rest": False}),
    Case("GDPR-DEV-001", ERROR, "owner's device not in the inventory row",
         unknown={"encryption.at_rest": "devices.csv line 7: unknown value 'maybe'"}),
    Case("GDPR-DEV-002", PASS, "locks after 5 minutes"),
    Case("GDPR-DEV-002", FAIL, "locks after 15 minutes", {"screen_lock.timeout_minutes": 15}),
    Case("GDPR-DEV-002", FAIL, "screen lock off", {"screen_lock.enabled": False}),
    Case("GDPR-DEV-002", FAIL, "timeout not reported", {"screen_lock.timeout_minutes": None}),
    Case("GDPR-DEV-002", PASS, "limit raised by param", {"screen_lock.timeout_minutes": 10},
         params={"max_screen_lock_minutes": 10}),
    Case("GDPR-DEV-003", PASS, "firewall on"),
    Case("GDPR-DEV-003", FAIL, "firewall off", {"firewall.enabled": False}),
    Case("GDPR-DEV-004", PASS, "macOS 15.1.1"),
    Case("GDPR-DEV-004", PASS, "macOS 15.10 is newer than 15.9 numerically", {"os.version": "15.10"},
         params={"os_minimum_versions": {"macOS": "15.9"}}),
    Case("GDPR-DEV-004", FAIL, "macOS 13", {"os.version": "13.6.9"}),
    Case("GDPR-DEV-004", PASS, "Windows 11 24H2", {"os.name": "Windows", "os.version": "10.0.26100.2314"}),
    Case("GDPR-DEV-004", FAIL, "Windows 10 22H2", {"os.name": "Windows", "os.version": "10.0.19045.5131"}),
    Case("GDPR-DEV-004", FAIL, "Windows 11 23H2", {"os.name": "Windows", "os.version": "10.0.22631.4460"}),
    Case("GDPR-DEV-004", FAIL, "OS family without a minimum", {"os.name": "Haiku", "os.version": "1.0"}),
    Case("GDPR-DEV-004", FAIL, "version not reported", {"os.version": None}),
    Case("GDPR-DEV-005", PASS, "seen yesterday"),
    Case("GDPR-DEV-005", PASS, "seen 30 days ago", {"last_seen_days": 30}),
    Case("GDPR-DEV-005", FAIL, "seen 31 days ago", {"last_seen_days": 31}),
    Case("GDPR-DEV-005", FAIL, "never checked in", {"last_seen_days": None}),
    Case("GDPR-DEV-005", FAIL, "limit lowered by param", {"last_seen_days": 20}, params={"max_last_seen_days": 14}),
    Case("GDPR-DEV-006", PASS, "home office in Germany"),
    Case("GDPR-DEV-006", PASS, "home office in Norway", {"location.country": "NO", "location.jurisdiction": "EEA"}),
    Case("GDPR-DEV-006", FAIL, "home office in a third country",
         {"location.country": "TR", "location.jurisdiction": "third-country"}),
    Case("GDPR-DEV-006", FAIL, "UK excluded by param", {"location.country": "GB", "location.jurisdiction":
                                                        "adequacy"}, params={"home_office_jurisdictions": ["EU"]}),
    Case("GDPR-DEV-006", ERROR, "owner missing from the staff register",
         unknown={"location.jurisdiction": "owner p-77aa88bb not found in staff register staff.csv"}),
    Case("GDPR-DEV-007", PASS, "home-office agreement signed"),
    Case("GDPR-DEV-007", FAIL, "home-office agreement not signed", {"agreements.home_office": False}),
    Case("GDPR-DEV-008", PASS, "confidentiality statement signed"),
    Case("GDPR-DEV-008", FAIL, "confidentiality statement not signed", {"agreements.confidentiality": False}),
    Case("GDPR-DEV-009", PASS, "trained 120 days ago"),
    Case("GDPR-DEV-009", PASS, "trained 365 days ago", {"training.age_days": 365}),
    Case("GDPR-DEV-009", FAIL, "trained 400 days ago", {"training.age_days": 400}),
    Case("GDPR-DEV-009", FAIL, "never trained", {"training.age_days": None}),
    # -- issue 12: statutory retention ------------------------------------------------------------
    Case("GDPR-RET-002", PASS, "ten-year commercial basis allows 4018 days",
         {**HGB10, "retention.max_age_days": 4018, "tags.retention-days": "4018"}, types=BUCKETS),
    Case("GDPR-RET-002", FAIL, "ten-year commercial basis: one day beyond the ceiling",
         {**HGB10, "retention.max_age_days": 4019, "tags.retention-days": "4019"}, types=BUCKETS),
    Case("GDPR-RET-002", FAIL, "4018 days without a statutory basis", {"retention.max_age_days": 4018,
                                                                      "tags.retention-days": "4018"}),
    Case("GDPR-RET-002", PASS, "deletion job under an eight-year tax basis",
         {"tags.retention-basis": "ao-8y", "tags.retention-days": "3288"}, types=RDS),
    Case("GDPR-RET-002", FAIL, "basis unknown to the map has no ceiling",
         {"tags.retention-basis": "forever", "retention.max_age_days": 30, "tags.retention-days": "30"}),
    Case("GDPR-RET-003", OUT, "purpose ended but a statutory period runs (Art. 17(3)(b))",
         {**HGB10, "tags.purpose-ends": "2024-12-31"}),
    Case("GDPR-RET-006", PASS, "statutory basis with object lock", {**HGB10, "retention.mechanism": ["lifecycle",
                                                                                                    "object-lock"]}),
    Case("GDPR-RET-006", PASS, "statutory basis with a retention policy", {**HGB10, "retention.mechanism":
                                                                             ["lifecycle", "retention-policy"]}),
    Case("GDPR-RET-006", FAIL, "statutory basis, nothing locks", HGB10),
    Case("GDPR-RET-006", OUT, "no statutory basis"),
    Case("GDPR-RET-007", PASS, "lock as long as the declared retention", {"retention.lock_days": 30,
                                                                          "tags.retention-days": "30"}),
    Case("GDPR-RET-007", FAIL, "lock longer than the declared retention", {"retention.lock_days": 400}),
    Case("GDPR-RET-007", FAIL, "lock but no declared retention", {"retention.lock_days": 30,
                                                                  "tags.retention-days": None}),
    Case("GDPR-RET-007", OUT, "nothing locks"),
    Case("GDPR-RET-007", ERROR, "lock could not be read", unknown={"retention.lock_days": "AccessDenied"}),
    Case("GDPR-RET-008", PASS, "kept for a statutory period and restricted",
         {**HGB10, "tags.purpose-ends": "2024-12-31", "tags.processing-restricted": "iam:role/tax-archive"}),
    Case("GDPR-RET-008", FAIL, "kept for a statutory period, not restricted",
         {**HGB10, "tags.purpose-ends": "2024-12-31"}),
    Case("GDPR-RET-008", OUT, "purpose still running", {**HGB10, "tags.purpose-ends": "2027-12-31"}),
    # -- issue 12: call recordings ----------------------------------------------------------------
    Case("GDPR-VOC-001", PASS, "recordings under consent with a consent record", RECORDINGS),
    Case("GDPR-VOC-001", FAIL, "recordings without a declared basis", {**RECORDINGS, "tags.legal-basis": None}),
    Case("GDPR-VOC-001", FAIL, "recordings under legitimate interest",
         {**RECORDINGS, "tags.legal-basis": "legitimate-interest"}),
    Case("GDPR-VOC-001", FAIL, "voice in a quality store without a consent record",
         {"tags.purpose": "quality-assurance", "tags.data-categories": "voice customer-id",
          "tags.legal-basis": "consent"}),
    Case("GDPR-VOC-001", OUT, "no voice"),
    Case("GDPR-VOC-002", PASS, "recordings kept 60 days", {**RECORDINGS, "retention.max_age_days": 60}, types=BUCKETS),
    Case("GDPR-VOC-002", PASS, "recordings with TTL and 60 days declared", RECORDINGS,
         types=("aws.dynamodb.table", *RDS)),
    Case("GDPR-VOC-002", FAIL, "recordings declared for a year", {**RECORDINGS, "tags.retention-days": "365",
                                                                  "retention.max_age_days": None}),
    Case("GDPR-VOC-002", FAIL, "recordings expire after 120 days", {**RECORDINGS, "retention.max_age_days": 120}),
    Case("GDPR-VOC-002", PASS, "limit raised by param", {**RECORDINGS, "retention.max_age_days": 120,
                                                         "tags.retention-days": "120"},
         params={"max_recording_retention_days": 180}),
    Case("GDPR-VOC-003", PASS, "voiceprints in a sensitive store", {"tags.data-classification": "sensitive",
                                                                    "tags.data-categories": "voice voiceprint"}),
    Case("GDPR-VOC-003", FAIL, "emotion scores in a personal store", {"tags.data-categories": "customer-id emotion"}),
    Case("GDPR-VOC-003", OUT, "plain recordings", RECORDINGS),
    # -- issue 12: DPIA ---------------------------------------------------------------------------
    Case("GDPR-DPI-001", PASS, "voice analytics with its DPIA", {"tags.purpose": "voice-analytics",
                                                                 "tags.dpia-reference": "DPIA-2026-003"}),
    Case("GDPR-DPI-001", FAIL, "AI-assisted support without a DPIA", {"tags.purpose": "ai-assisted-support"}),
    Case("GDPR-DPI-001", FAIL, "health data without a DPIA", {"tags.data-categories": "name health"}),
    Case("GDPR-DPI-001", OUT, "customer support, no special category"),
    # -- issue 12: analytics ----------------------------------------------------------------------
    Case("GDPR-MIN-002", PASS, "pseudonymised analytics copy", {"tags.purpose": "service-analytics",
                                                                "tags.pseudonymised": "true"}),
    Case("GDPR-MIN-002", FAIL, "analytics copy not declared pseudonymised", {"tags.purpose": "service-analytics"}),
    Case("GDPR-MIN-002", FAIL, "analytics copy declared not pseudonymised",
         {"tags.purpose": "service-analytics", "tags.pseudonymised": "false"}),
    Case("GDPR-MIN-002", OUT, "not analytics"),
    # -- issue 12: breach detection and integrity -------------------------------------------------
    Case("GDPR-SEC-006", FAIL, "database exports logs but not its audit log", {"logging.audit_log": False},
         types=RDS),
    Case("GDPR-SEC-006", ERROR, "audit log export could not be read",
         unknown={"logging.audit_log": "engine sqlserver-se: audit log is not exported to CloudWatch"}, types=RDS),
    Case("GDPR-SEC-006", OUT, "sensitive store is SEC-007's", {"tags.data-classification": "sensitive"}),
    Case("GDPR-SEC-007", PASS, "sensitive store logged", {"tags.data-classification": "sensitive"}),
    Case("GDPR-SEC-007", FAIL, "sensitive store not logged", {"tags.data-classification": "sensitive",
                                                              "logging.access_logging": False}),
    Case("GDPR-SEC-007", FAIL, "sensitive database without audit log", {"tags.data-classification": "sensitive",
                                                                        "logging.audit_log": False}, types=RDS),
    Case("GDPR-SEC-007", OUT, "personal store is SEC-006's"),
    Case("GDPR-SEC-008", PASS, "database deletion protection on"),
    Case("GDPR-SEC-008", FAIL, "database deletion protection off", {"deletion_protection.enabled": False}),
    Case("GDPR-SEC-008", OUT, "internal database", {"tags.data-classification": "internal",
                                                    "deletion_protection.enabled": False}),
    Case("GDPR-SEC-009", PASS, "versioned bucket with MFA delete or object lock"),
    Case("GDPR-SEC-009", FAIL, "versioned bucket deletable with one credential",
         {"deletion_protection.enabled": False}),
    Case("GDPR-SEC-009", OUT, "unversioned bucket", {"versioning.enabled": False,
                                                     "deletion_protection.enabled": False}),
    # -- issue 12: transfers ----------------------------------------------------------------------
    Case("GDPR-LOC-001", PASS, "Brazil has an adequacy decision", {"location.country": "BR",
                                                                    "location.jurisdiction": "adequacy"}),
    Case("GDPR-LOC-001", FAIL, "United States: DPF not relied on by default", US),
    Case("GDPR-LOC-001", PASS, "United States: DPF relied on by param", US,
         params={"allowed_jurisdictions": ["EU", "EEA", "adequacy", "adequacy-dpf"]}),
    Case("GDPR-LOC-003", PASS, "US store declares the DPF", {**US, "tags.transfer-mechanism": "dpf"}),
    Case("GDPR-LOC-003", PASS, "third-country store under SCC", {**THIRD, "tags.transfer-mechanism": "scc"}),
    Case("GDPR-LOC-003", FAIL, "third-country store without a mechanism", THIRD),
    Case("GDPR-LOC-003", FAIL, "mechanism not on the list", {**US, "tags.transfer-mechanism": "trust-us"}),
    Case("GDPR-LOC-003", OUT, "store in the EU"),
    Case("GDPR-LOC-003", OUT, "store in an adequacy country", {"location.country": "GB",
                                                               "location.jurisdiction": "adequacy"}),
    Case("GDPR-LOC-004", PASS, "third-country store with its TIA", {**THIRD, "tags.tia-reference": "TIA-2026-002"}),
    Case("GDPR-LOC-004", FAIL, "third-country store without a TIA", {**THIRD, "tags.transfer-mechanism": "scc"}),
    Case("GDPR-LOC-004", FAIL, "location unknown, no TIA", {"location.jurisdiction": "unknown"}),
    Case("GDPR-LOC-004", OUT, "US store under the DPF needs no TIA", {**US, "tags.transfer-mechanism": "dpf"}),
    # -- issue 12: external access ----------------------------------------------------------------
    Case("GDPR-PRC-003", PASS, "shared with the processor's account, processor and DPA named",
         {"access.external_principals": ["210987654321"], "tags.processor": "acme-callcenter",
          "tags.dpa-reference": "DPA-2026-007"}),
    Case("GDPR-PRC-003", FAIL, "shared with another account, no processor declared",
         {"access.external_principals": ["210987654321"]}),
    Case("GDPR-PRC-003", FAIL, "shared with a GCS member outside the organisation, processor without DPA",
         {"access.external_principals": ["user:agent@partner.example"], "tags.processor": "acme-callcenter"}),
    Case("GDPR-PRC-003", OUT, "no external principals"),
    Case("GDPR-PRC-003", OUT, "shared public help-centre assets", {"access.external_principals": ["210987654321"],
                                                                   "tags.data-classification": "public"}),
    Case("GDPR-PRC-003", ERROR, "external principals could not be read",
         unknown={"access.external_principals": "AccessDenied (s3:GetBucketPolicy)"}),
    # -- issue 12: devices ------------------------------------------------------------------------
    Case("GDPR-DEV-006", PASS, "home office in Hungary", {"location.country": "HU", "location.jurisdiction": "EU"}),
    Case("GDPR-DEV-006", PASS, "home office in Brazil", {"location.country": "BR",
                                                         "location.jurisdiction": "adequacy"}),
    Case("GDPR-DEV-010", PASS, "enrolled"),
    Case("GDPR-DEV-010", FAIL, "not enrolled", {"managed": False}),
    Case("GDPR-DEV-010", FAIL, "enrolment not reported", {"managed": None}),
    Case("GDPR-DEV-011", PASS, "compliant"),
    Case("GDPR-DEV-011", FAIL, "noncompliant", {"compliance.state": "noncompliant"}),
    Case("GDPR-DEV-011", FAIL, "in grace period", {"compliance.state": "in-grace-period"}),
    Case("GDPR-DEV-011", PASS, "grace period accepted by param", {"compliance.state": "in-grace-period"},
         params={"compliant_states": ["compliant", "in-grace-period"]}),
    Case("GDPR-DEV-011", ERROR, "no policy answered", unknown={"compliance.state": "no Fleet policy has answered"}),
]


def targets(rule_id: str) -> tuple[str, ...]:
    """Shipped types a rule targets, by its id (test_rule_targets checks the pack agrees)."""
    if rule_id in RULE_TYPES:
        return RULE_TYPES[rule_id]
    return ("device",) if rule_id.startswith("GDPR-DEV-") else STORES


def case_types(case: Case) -> tuple[str, ...]:
    return tuple(t for t in targets(case.rule) if case.types is None or t in case.types)


def _expanded() -> list[Any]:
    return [pytest.param(case, type_name, id=f"{case.rule}-{type_name}-{case.why}")
            for case in CASES for type_name in case_types(case)]


@pytest.mark.parametrize(("case", "type_name"), _expanded())
def test_rule_outcome(case: Case, type_name: str) -> None:
    rule = next(r for r in kit.gdpr_pack(**case.params).rules if r.id == case.rule)
    assert rule.applies_to(type_name)
    resource = kit.make_resource(type_name, case.changes, case.unknown)
    findings = evaluate_resource([rule], resource, kit.EVALUATED_ON)
    if case.expect is OUT:
        assert findings == [], findings[0].message if findings else ""
        return
    assert len(findings) == 1
    assert findings[0].result is case.expect, findings[0].message


def test_every_rule_has_a_passing_and_a_failing_case_per_type() -> None:
    pack = kit.gdpr_pack()
    missing = []
    for rule in pack.rules:
        for type_name in (t for t in kit.SHIPPED_TYPES if rule.applies_to(t)):
            for expect in (PASS, FAIL):
                if not any(c.rule == rule.id and c.expect is expect and type_name in case_types(c) for c in CASES):
                    missing.append(f"{rule.id} {expect.value} on {type_name}")
    assert not missing, missing
    assert {c.rule for c in CASES} == {r.id for r in pack.rules if targets(r.id)}


def test_rule_targets() -> None:
    """Store rules cover every data-store type at once, device rules every device."""
    for rule in kit.gdpr_pack().rules:
        shipped = tuple(t for t in kit.SHIPPED_TYPES if rule.applies_to(t))
        assert shipped == targets(rule.id), rule.id


@pytest.mark.parametrize("type_name", list(kit.SHIPPED_TYPES))
def test_compliant_resource_passes_every_rule_in_scope(type_name: str) -> None:
    pack = kit.gdpr_pack()
    rules = [r for r in pack.rules if r.applies_to(type_name)]
    findings = evaluate_resource(rules, kit.make_resource(type_name), kit.EVALUATED_ON)
    assert findings, "no rule applied"
    assert [(f.rule_id, f.message) for f in findings if f.result is not PASS] == []


def test_scope_that_cannot_be_decided_is_an_error_not_a_pass() -> None:
    """Tags that could not be read leave the scope unknown: every personal-data rule errors.

    Rules whose scope also needs a fact the resource does not have (an EU store needs no transfer
    mechanism, an unlocked one no lock check, an unshared one no processor) stay out of scope:
    unknown and false is false.
    """
    pack = kit.gdpr_pack()
    resource = kit.make_resource("aws.s3.bucket", unknown={"tags": "AccessDenied (s3:GetBucketTagging)"})
    resource.tags = None
    rules = [r for r in pack.rules if r.applies_to(resource.type)]
    findings = evaluate_resource(rules, resource, kit.EVALUATED_ON)
    assert {r.id for r in rules} - {f.rule_id for f in findings} == {"GDPR-LOC-003", "GDPR-LOC-004", "GDPR-PRC-003",
                                                                     "GDPR-RET-007"}
    assert {f.result for f in findings} == {ERROR}
    assert all("s3:GetBucketTagging" in f.message for f in findings)


def test_failure_message_names_what_was_observed() -> None:
    rule = next(r for r in kit.gdpr_pack().rules if r.id == "GDPR-MIN-001")
    resource = kit.make_resource("gcp.storage.bucket", {"tags.data-categories": "name chat bank-details"})
    [finding] = evaluate_resource([rule], resource, kit.EVALUATED_ON)
    assert finding.result is FAIL
    assert "bank-details" in finding.message and "customer-support" in finding.message
