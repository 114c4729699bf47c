"""The shared attribute vocabularies: one for every data store, one for devices.

A rule written against these names covers S3, GCS, RDS and DynamoDB (or every device
inventory) at once. Providers bind each attribute to the collection group that supplies it
(:func:`policycheck.attributes.bind_groups`); what an attribute means never depends on how
a provider obtained it.
"""

from __future__ import annotations

from .attributes import UNSUPPLIED
from .attributes import AttributeSpec as A

KEY_MANAGEMENT = ("none", "provider-managed", "customer-managed")
#: From most to least protective (a location spanning several is judged by the last one it reaches).
JURISDICTIONS = ("EU", "EEA", "adequacy", "adequacy-dpf", "third-country", "unknown")
RETENTION_MECHANISMS = ("lifecycle", "ttl", "retention-policy", "object-lock")

#: Where the data is, shared by stores and devices.
LOCATION = (
    A("location.region", "string", "Region or location code as the provider names it (eu-central-1, EUR4)."),
    A("location.country", "string", "ISO 3166 alpha-2 country, or EU for EU multi-regions, or null if unknown."),
    A("location.jurisdiction", "string", "EU, EEA, adequacy (EU adequacy decision), adequacy-dpf (United States: "
      "adequate only for organisations certified under the EU-US Data Privacy Framework), third-country or unknown.",
      enum=JURISDICTIONS),
)

DATA_STORE = (
    A("encryption.at_rest", "bool", "Data is encrypted at rest."),
    A("encryption.key_management", "string", "Who manages the key: none, provider-managed or customer-managed.",
      enum=KEY_MANAGEMENT),
    A("encryption.kms_key", "string", "Key id or ARN when a KMS key is used, else null."),
    A("encryption.in_transit_enforced", "bool", "Unencrypted (non-TLS) connections are refused."),
    A("access.public", "bool", "Anyone on the internet (or any authenticated user of the cloud) can read or write."),
    A("access.public_via", "list", "How it is public: acl, policy, iam, endpoint."),
    A("access.public_access_blocked", "bool", "A public-access block/prevention setting overrides public grants."),
    A("access.external_principals", "list", "Accounts, organisations or members outside the store's own account or "
      "organisation that a policy, ACL or IAM binding grants access (AWS account ids or canonical ids, GCS members)"),
    *LOCATION,
    A("replication.regions", "list", "Regions of replicas, read replicas or replication destinations."),
    A("replication.jurisdictions", "list", "Jurisdictions of those regions."),
    A("retention.mechanism", "list", "Deletion mechanisms in place: lifecycle, ttl, retention-policy, object-lock."),
    A("retention.max_age_days", "int", "Longest age any item can reach before a mechanism deletes it; null if "
      "nothing deletes every item."),
    A("retention.lock_days", "int", "Days every new object is protected from deletion (S3 Object Lock default "
      "retention, Cloud Storage retention policy); 0 if nothing locks objects."),
    A("retention.oldest_record_age_days", "int", "Age in days (at the evaluation date) of the oldest record, "
      "read in the data itself; 0 for an empty store. Only database providers read data; elsewhere unknown.",
      group=UNSUPPLIED),
    A("retention.soft_delete_days", "int", "Days deleted data stays recoverable (soft delete, noncurrent "
      "versions); 0 if none."),
    A("backup.enabled", "bool", "Backups, snapshots or point-in-time recovery are enabled."),
    A("backup.retention_days", "int", "Days backups are kept."),
    A("versioning.enabled", "bool", "Object versioning is enabled."),
    A("logging.access_logging", "bool", "Access logging is enabled."),
    A("logging.audit_log", "bool", "A database audit log (who read or changed which data) is produced and exported "
      "(RDS: the engine's audit log among the exported logs); null for stores whose access log is their audit log."),
    A("deletion_protection.enabled", "bool", "The store cannot be deleted without first lifting a protection."),
)

DEVICE = (
    A("encryption.at_rest", "bool", "Full-disk encryption (FileVault, BitLocker, LUKS) is on."),
    A("screen_lock.enabled", "bool", "The screen locks after inactivity."),
    A("screen_lock.timeout_minutes", "number", "Minutes of inactivity before the screen locks."),
    A("firewall.enabled", "bool", "The host firewall is on."),
    A("os.name", "string", "Operating system, the distribution for Linux: macOS, Windows, Ubuntu, Debian, Fedora, "
      "RHEL, iOS, Android, ..."),
    A("os.family", "string", "Operating system family: Linux, macOS, Windows, iOS, Android (ChromeOS)."),
    A("os.version", "version", "Operating-system version, compared numerically (14.2.1 > 14.10 is false)."),
    A("last_seen_days", "int", "Days since the device last checked in with its management system."),
    *LOCATION,
    A("agreements.home_office", "bool", "The owner signed the home-office agreement."),
    A("agreements.confidentiality", "bool", "The owner signed the confidentiality statement."),
    A("training.age_days", "int", "Days since the owner's last data-protection training."),
    A("managed", "bool", "Enrolled in device management (MDM)."),
    A("owner", "string", "Owner (pseudonymised unless --reveal-identities)."),
    A("compliance.state", "string", "Compliance state reported by the management system."),
)
