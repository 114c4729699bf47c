"""Lifecycle rules: which expire every object, and after how many days."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def whole_bucket(rule: dict[str, Any]) -> bool:
    """The rule applies to every object: no prefix, tag or size filter narrows it."""
    if rule.get("Prefix"):  # legacy top-level prefix
        return False
    selector = rule.get("Filter")
    if not selector:
        return True
    if "And" in selector:
        return False
    return not (selector.get("Prefix") or selector.get("Tag") or "ObjectSizeGreaterThan" in selector
                or "ObjectSizeLessThan" in selector)


def _enabled(rules: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rules if r.get("Status") == "Enabled"]


def expiration_days(rules: Iterable[dict[str, Any]]) -> int | None:
    """Fewest days after which a rule covering every object expires current versions; None if none does."""
    days = [r["Expiration"]["Days"] for r in _enabled(rules)
            if whole_bucket(r) and (r.get("Expiration") or {}).get("Days")]
    return min(days) if days else None


def noncurrent_days(rules: Iterable[dict[str, Any]]) -> int | None:
    """Fewest days after which noncurrent versions of every object are deleted; None if never."""
    days = [r["NoncurrentVersionExpiration"]["NoncurrentDays"] for r in _enabled(rules)
            if whole_bucket(r) and (r.get("NoncurrentVersionExpiration") or {}).get("NoncurrentDays")
            and not (r.get("NoncurrentVersionExpiration") or {}).get("NewerNoncurrentVersions")]
    return min(days) if days else None


def has_expiry(rules: Iterable[dict[str, Any]]) -> bool:
    """Some enabled rule deletes objects or old versions (scoped or not)."""
    return any((r.get("Expiration") or {}).get("Days") or (r.get("Expiration") or {}).get("Date")
               or r.get("NoncurrentVersionExpiration") for r in _enabled(rules))
