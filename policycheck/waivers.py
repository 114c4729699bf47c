"""Waivers: accepted exceptions to a rule for selected resources, always with an expiry date.

A waived finding stays in every report with result ``waived``; an expired waiver no longer
applies and is reported itself, as is a waiver that matched nothing.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import WaiverError
from .model import Resource, WaiverRef
from .registry import did_you_mean
from .schema import error_path, explain_schema_error, validation_error, waivers_schema
from .yamlsource import PathKey, YamlDocument, format_path, load_yaml

__all__ = ["DEFAULT_MAX_DAYS", "Waiver", "WaiverBook", "check_waiver_rules", "load_waivers"]

DEFAULT_MAX_DAYS = 90


@dataclass(frozen=True)
class Waiver:
    """One accepted exception: which rules (glob) on which resources (id glob and/or tags), until when."""

    id: str
    rule: str
    resource: str | None
    tags: Mapping[str, str]
    reason: str
    approver: str
    expires: dt.date
    source: str

    def matches(self, rule_id: str, resource: Resource) -> bool:
        """The waiver covers ``rule_id`` on ``resource``; a tag it cannot read does not match."""
        if not fnmatch.fnmatchcase(rule_id, self.rule):
            return False
        if self.resource and not fnmatch.fnmatchcase(resource.id, self.resource):
            return False
        if self.tags:
            for key, wanted in self.tags.items():
                actual = resource.get(f"tags.{key}")
                if not isinstance(actual, str) or not fnmatch.fnmatchcase(actual, wanted):
                    return False
        return True

    def expired(self, today: dt.date) -> bool:
        """``today`` is after the last day the waiver applies."""
        return today > self.expires

    def ref(self) -> WaiverRef:
        """What a waived finding keeps of this waiver."""
        return WaiverRef(self.id, self.reason, self.approver, self.expires.isoformat())

    def as_dict(self) -> dict[str, object]:
        """The waiver as the JSON report lists it."""
        return {"id": self.id, "rule": self.rule, "resource": self.resource, "tags": dict(self.tags),
                "reason": self.reason, "approver": self.approver, "expires": self.expires.isoformat(),
                "source": self.source}


def load_waivers(path: Path, *, today: dt.date, max_days: int = DEFAULT_MAX_DAYS) -> list[Waiver]:
    """Load and validate a waiver file; a waiver longer than ``max_days`` is an error."""
    doc = load_yaml(path, WaiverError, what="waiver file")
    data = doc.data
    error = validation_error(waivers_schema(), data)
    if error is not None:
        where = tuple(error.absolute_path)
        message = explain_schema_error(error)
        if error.validator == "anyOf":
            message = "a waiver needs a selector: 'resource' (id glob) and/or 'tags'"
        raise WaiverError(f"{format_path(where)}: {message}", source=doc.source, place=doc.place(error_path(error)))
    waivers: list[Waiver] = []
    first_line: dict[str, str] = {}
    for index, raw in enumerate(data["waivers"]):
        where = ("waivers", index)
        if "id" in raw:  # reports count uses per id: two waivers sharing one would hide an unused one
            if raw["id"] in first_line:
                raise WaiverError(f"{format_path((*where, 'id'))}: duplicate waiver id '{raw['id']}' (first at line "
                                  f"{first_line[raw['id']]})", source=doc.source, place=doc.place((*where, "id")))
            first_line[raw["id"]] = doc.place((*where, "id")).split(":")[0]
        if "resource" not in raw and _is_glob(raw["rule"]) and raw.get("scope") != "tagged":
            raise WaiverError(f"{format_path((*where, 'rule'))}: a waiver that selects by tags only with the rule glob "
                              f"'{raw['rule']}' lets anyone who can tag a resource exempt it from every matching rule; "
                              "name the rule exactly, add 'resource', or acknowledge it with 'scope: tagged'",
                              source=doc.source, place=doc.place((*where, "rule")))
        expires = _date(raw["expires"], doc, (*where, "expires"))
        start = _date(raw["created"], doc, (*where, "created")) if "created" in raw else today
        if (expires - start).days > max_days:
            raise WaiverError(f"{format_path((*where, 'expires'))}: {expires} is more than {max_days} days after "
                              f"{'created' if 'created' in raw else 'today'} ({start}); the maximum waiver "
                              "duration is set by max_waiver_days", source=doc.source,
                              place=doc.place((*where, "expires")))
        waivers.append(Waiver(
            id=raw.get("id") or f"{Path(doc.source).name}#{index + 1}", rule=raw["rule"],
            resource=raw.get("resource"), tags=raw.get("tags", {}), reason=raw["reason"],
            approver=raw["approver"], expires=expires, source=f"{doc.source}:{doc.place(where)}",
        ))
    return waivers


def _is_glob(pattern: str) -> bool:
    return any(char in pattern for char in "*?[")


def check_waiver_rules(waivers: list[Waiver], rule_ids: list[str]) -> None:
    """A waiver whose rule matches no loaded rule is a typo that would silently waive nothing."""
    for waiver in waivers:
        if not any(fnmatch.fnmatchcase(rule_id, waiver.rule) for rule_id in rule_ids):
            raise WaiverError(f"rule '{waiver.rule}' matches no loaded rule{did_you_mean(waiver.rule, rule_ids)}",
                              source=waiver.source)


def _date(value: object, doc: YamlDocument, where: PathKey) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise WaiverError(f"{format_path(where)}: '{value}' is not a date (YYYY-MM-DD)", source=doc.source,
                          place=doc.place(where)) from None


@dataclass
class WaiverBook:
    """The waivers of a run, split into active and expired (which were used is read off the findings)."""

    active: list[Waiver]
    expired: list[Waiver]

    def attributes(self) -> set[str]:
        """Attributes the active waivers read to select resources (``tags.<key>``)."""
        return {f"tags.{key}" for waiver in self.active for key in waiver.tags}

    @classmethod
    def of(cls, waivers: list[Waiver], today: dt.date) -> WaiverBook:
        """Split ``waivers`` into active and expired as of ``today``."""
        return cls([w for w in waivers if not w.expired(today)], [w for w in waivers if w.expired(today)])

    def find(self, rule_id: str, resource: Resource) -> Waiver | None:
        """The first active waiver covering ``rule_id`` on ``resource``."""
        return next((w for w in self.active if w.matches(rule_id, resource)), None)

    def find_by_id(self, rule_id: str, resource: Resource) -> Waiver | None:
        """The first active waiver covering ``rule_id`` on ``resource`` by its id alone: no tag is read (for a
        resource whose reads may hang, a waiver selecting by tags does not apply)."""
        return next((w for w in self.active if not w.tags and w.matches(rule_id, resource)), None)
