"""How long a bucket keeps data: lifecycle Delete rules, retention policy, soft delete, versioning.

- ``retention.max_age_days``: the smallest age of a lifecycle Delete rule that applies to every
  live object (no prefix, suffix, storage-class, date or version condition), raised to the
  retention-policy period (lifecycle cannot delete objects still under retention); null when no
  such rule exists or new objects get an event-based hold (kept until someone releases it).
- ``retention.soft_delete_days``: days deleted data stays recoverable: the soft-delete window,
  plus, in a versioned bucket, the longest a noncurrent version survives under the lifecycle
  rules (null when nothing deletes noncurrent versions).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

SECONDS_PER_DAY = 86400

#: Conditions under which a Delete rule still reaches every live / every noncurrent object.
LIVE_CONDITIONS = frozenset({"age", "isLive"})
NONCURRENT_CONDITIONS = frozenset({"age", "isLive", "daysSinceNoncurrentTime"})


def days(seconds: Any) -> int | None:
    """Whole days (rounded up) of an int64 seconds field, which the JSON API sends as a string."""
    if seconds is None or seconds == "":
        return None
    return math.ceil(int(seconds) / SECONDS_PER_DAY)


def delete_conditions(bucket: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The condition of every lifecycle rule whose action is Delete."""
    rules = (bucket.get("lifecycle") or {}).get("rule") or []
    return [dict(rule.get("condition") or {}) for rule in rules if (rule.get("action") or {}).get("type") == "Delete"]


def live_age(condition: Mapping[str, Any]) -> int | None:
    """Age at which the rule deletes every live object, or None if it spares some."""
    if not condition or set(condition) - LIVE_CONDITIONS or condition.get("isLive") is False:
        return None
    return int(condition.get("age") or 0)


def noncurrent_days(condition: Mapping[str, Any]) -> int | None:
    """Longest a noncurrent version survives under the rule, or None if it spares some."""
    if not condition or set(condition) - NONCURRENT_CONDITIONS or condition.get("isLive") is True:
        return None
    return max(int(condition.get("age") or 0), int(condition.get("daysSinceNoncurrentTime") or 0))


def _smallest(values: Iterable[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return min(known) if known else None


def retention_attributes(bucket: Mapping[str, Any]) -> dict[str, Any]:
    """``retention.*`` of a bucket resource."""
    conditions = delete_conditions(bucket)
    live = _smallest(live_age(c) for c in conditions)
    policy = bucket.get("retentionPolicy") or {}
    period = days(policy.get("retentionPeriod"))
    held = bool(bucket.get("defaultEventBasedHold"))
    max_age = None if live is None or held else max(live, period or 0)

    soft = days((bucket.get("softDeletePolicy") or {}).get("retentionDurationSeconds"))
    if (bucket.get("versioning") or {}).get("enabled"):
        noncurrent = _smallest(noncurrent_days(c) for c in conditions)
        soft = None if soft is None or noncurrent is None else soft + noncurrent

    present = {
        "lifecycle": live is not None,
        "retention-policy": period is not None,
        "object-lock": (bucket.get("objectRetention") or {}).get("mode") == "Enabled",
    }
    return {
        "retention.mechanism": [name for name, on in present.items() if on],
        "retention.max_age_days": max_age,
        "retention.soft_delete_days": soft,
        "retention.lock_days": period or 0,
    }
