"""Resources, the values rules read from them, and the findings rules produce."""

from __future__ import annotations

import enum
import hashlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any

from .attributes import UNSUPPLIED
from .clean import clean_mapping, clean_text, clean_value
from .errors import CollectionError

__all__ = [
    "SEVERITIES",
    "CollectionProblem",
    "Finding",
    "GroupFetcher",
    "Resource",
    "ResourceRef",
    "Result",
    "Severity",
    "SourceLocation",
    "Unknown",
    "WaiverRef",
    "fingerprint",
    "reader",
]


class Severity(enum.IntEnum):
    """How grave a rule's violation is; ordered, so thresholds compare with ``>=``."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        """The lower-case name used in policies and reports (``high``)."""
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        """The severity labelled ``text`` (any case); KeyError for an unknown label."""
        return cls[text.upper()]


SEVERITIES = tuple(s.label for s in Severity)


class Result(enum.StrEnum):
    """Outcome of one rule on one resource."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    WAIVED = "waived"


@dataclass(frozen=True)
class Unknown:
    """An attribute value that could not be collected; never equal to anything.

    ``lower``/``upper``: what is known about the number despite that (inclusive bounds), e.g. a
    screen-lock timeout of at least the reported grace period. Ordering operators decide from a
    bound alone when every value within it gives the same outcome (:data:`~.operators.OPERATORS`).
    """

    reason: str
    lower: float | None = None
    upper: float | None = None

    def __bool__(self) -> bool:  # guard against accidental truthiness checks
        raise TypeError("Unknown has no truth value; check isinstance(value, Unknown)")


@dataclass(frozen=True)
class SourceLocation:
    """Where a resource is declared in code (a file and its 1-based line), for reports that point at code."""

    path: str
    line: int = 1


#: A group fetcher returns the attributes it supplies (flat dotted names) or raises CollectionError.
GroupFetcher = Callable[[], Mapping[str, Any]]


class Resource:
    """A normalised resource whose attributes may be fetched lazily, one collection group at a time.

    ``attributes`` holds values known at listing time (``None``: not applicable or not set).
    ``fetchers`` maps a group name to a callable supplying that group's attributes (flat
    dotted names; the ``tags`` group returns ``{"tags": {...}}``); ``group_of`` maps an
    attribute name to its group. The first read of an attribute runs its group's fetcher
    once (thread-safe). A fetcher that raises :class:`CollectionError` makes every attribute
    of its group :class:`Unknown`. ``absent`` makes attributes that were never supplied
    Unknown (a snapshot that did not collect them). ``bounds`` gives an unknown attribute the
    (lower, upper) limits still known about it.
    """

    __slots__ = (
        "_absent",
        "_bounds",
        "_failed",
        "_fetchers",
        "_group_of",
        "_lock",
        "_unknown",
        "_values",
        "account",
        "id",
        "name",
        "provider",
        "region",
        "source",
        "tags",
        "type",
        "unobservable",
    )

    def __init__(
        self,
        *,
        type: str,
        id: str,
        name: str,
        provider: str,
        account: str = "",
        region: str = "",
        tags: Mapping[str, str] | None = None,
        attributes: Mapping[str, Any] | None = None,
        unknown: Mapping[str, str] | None = None,
        fetchers: Mapping[str, GroupFetcher] | None = None,
        group_of: Callable[[str], str] | None = None,
        absent: str | None = None,
        bounds: Mapping[str, tuple[float | None, float | None]] | None = None,
        unobservable: Mapping[str, str] | None = None,
        source: SourceLocation | None = None,
    ):
        # the sanitising boundary (policycheck.clean): nothing that reaches a writer holds control characters
        try:
            text = type + id + name + provider + account + region
        except TypeError:
            text = ""  # not all text: clean_text below says so
        if text and text.isascii() and text.isprintable():  # the common case: all six safe, checked at once
            self.type, self.id, self.name, self.provider, self.account, self.region = (
                type, id, name, provider, account, region)
        else:
            self.type = clean_text(type)
            self.id = clean_text(id)
            self.name = clean_text(name)
            self.provider = clean_text(provider)
            self.account = clean_text(account)
            self.region = clean_text(region)
        self.tags: dict[str, str] | None = clean_mapping(tags) if tags is not None else None
        self._values: dict[str, Any] = clean_mapping(attributes) if attributes else {}
        self._unknown: dict[str, str] = clean_mapping(unknown) if unknown else {}  # attribute -> reason
        self._failed: dict[str, str] = {}  # collection group -> reason
        self._fetchers: dict[str, GroupFetcher] = dict(fetchers or {})
        self._group_of = group_of or _core_group
        self._lock = threading.Lock() if self._fetchers else None
        self._absent = absent  # when set, an attribute never supplied is Unknown for this reason
        self._bounds = dict(bounds or {})  # unknown attribute -> (lower, upper) still known about it
        self.unobservable: dict[str, str] = clean_mapping(unobservable) if unobservable else {}
        self.source = source

    def get(self, path: str) -> Any:
        """Value of ``path``: a plain value, ``None`` when absent, or :class:`Unknown`."""
        if path in _FIELDS:
            return getattr(self, path)
        if path.startswith("tags."):
            return self._tag(path[5:])
        return self.attribute(path)

    def attribute(self, path: str) -> Any:
        """:meth:`get` of a path that is neither a field (``region``) nor a tag (``tags.KEY``); see :func:`reader`."""
        if path in self._unknown:
            return Unknown(self._unknown[path], *self._bounds.get(path, (None, None)))
        values = self._values
        if path in values:
            return values[path]
        # not collected yet, or never
        group = self._group_of(path)
        self._load(group)
        if group in self._failed:
            return Unknown(self._failed[group])
        if path in self._unknown:
            return Unknown(self._unknown[path])
        if self._absent is not None and path not in self._values:
            return Unknown(self._absent)
        if group == UNSUPPLIED and path not in self._values:
            return Unknown(f"provider '{self.provider}' does not collect {path}")
        return self._values.get(path)

    def _tag(self, key: str) -> Any:
        if self.tags is None:
            self._load("tags")
        if self.tags is None:
            return Unknown(self._failed.get("tags") or self._unknown.get("tags") or "tags were not collected")
        return self.tags.get(key)

    def _load(self, group: str) -> None:
        if self._lock is None:
            return
        with self._lock:
            fetcher = self._fetchers.pop(group, None)
            if fetcher is None:
                return
            try:
                values = clean_value(dict(fetcher()))
            except CollectionError as exc:
                self._failed[group] = clean_text(str(exc))
                return
            except Exception as exc:  # fail closed: a provider bug makes values unknown, not passing
                self._failed[group] = clean_text(f"unexpected {type(exc).__name__} while collecting '{group}': {exc}")
                return
            if "tags" in values:
                self.tags = dict(values.pop("tags") or {})
            self._values.update(values)

    def load(self, groups: list[str] | None = None) -> None:
        """Run the fetchers of ``groups`` (all pending ones when None), e.g. before a snapshot."""
        for group in list(self._fetchers) if groups is None else groups:
            self._load(group)

    @property
    def has_pending_fetch(self) -> bool:
        """True while some group is still to be fetched (reading may do I/O)."""
        return bool(self._fetchers)

    @property
    def failed_groups(self) -> dict[str, str]:
        """Collection groups that could not be read, with the reason."""
        return dict(self._failed)

    @property
    def known_attributes(self) -> dict[str, Any]:
        """Attribute values collected so far (no fetch)."""
        return dict(self._values)

    @property
    def unknown_attributes(self) -> dict[str, str]:
        """Attributes recorded as unknown by name (failed groups are in :attr:`failed_groups`)."""
        return dict(self._unknown)

    def ref(self) -> ResourceRef:
        """The identifying fields a finding keeps (no attribute values)."""
        return ResourceRef(self.type, self.id, self.name, self.provider, self.account, self.region, self.source)

    def __repr__(self) -> str:
        return f"Resource({self.type} {self.id})"


def reader(path: str) -> Callable[[Resource, str], Any]:
    """What reads ``path`` from a resource: :meth:`Resource.attribute` when it names an attribute (skipping the
    tests for fields and tags on every read), else :meth:`Resource.get`. For code that reads one path often."""
    return Resource.get if path in _FIELDS or path.startswith("tags.") else Resource.attribute


def _core_group(path: str) -> str:
    return "core"


@dataclass(frozen=True)
class ResourceRef:
    """What a finding keeps of its resource."""

    type: str
    id: str
    name: str
    provider: str
    account: str
    region: str
    source: SourceLocation | None = field(default=None, compare=False)


#: Resource fields rules read like attributes (``Resource.get("region")``): those a finding keeps.
_FIELDS = frozenset(f.name for f in fields(ResourceRef)) - {"source"}


@dataclass(frozen=True)
class WaiverRef:
    """What a waived finding keeps of its waiver."""

    id: str
    reason: str
    approver: str
    expires: str

    def __post_init__(self) -> None:
        for name in ("id", "reason", "approver"):
            object.__setattr__(self, name, clean_text(getattr(self, name)))

    def justification(self) -> str:
        """One line for reports: the reason, then who approved the waiver and until when."""
        return f"{self.reason} (waiver {self.id}, approved by {self.approver}, expires {self.expires})"


@dataclass(frozen=True, init=False)
class Finding:
    """The outcome of one rule on one resource."""

    rule_id: str
    severity: Severity
    resource: ResourceRef
    result: Result
    message: str
    observed: Mapping[str, Any] = field(default_factory=dict)
    waiver: WaiverRef | None = None

    def __init__(self, rule_id: str, severity: Severity, resource: ResourceRef, result: Result, message: str,
                 observed: Mapping[str, Any] | None = None, waiver: WaiverRef | None = None):
        # written by hand: one is made per rule and resource, and the generated frozen __init__ costs twice as much
        fields_ = self.__dict__
        fields_["rule_id"] = rule_id
        fields_["severity"] = severity
        fields_["resource"] = resource
        fields_["result"] = result
        fields_["message"] = message if message.isascii() and message.isprintable() else clean_text(message)
        fields_["observed"] = {} if observed is None else observed
        fields_["waiver"] = waiver

    @cached_property
    def fingerprint(self) -> str:
        """See :func:`fingerprint`; computed once (reports and baselines read it many times)."""
        return fingerprint(self.rule_id, self.resource.account, self.resource.region, self.resource.id)

    def sort_key(self) -> tuple[str, ...]:
        """Report order: by rule, then resource; the remaining fields make the order total (deterministic
        even when one resource is listed twice, e.g. by two snapshots)."""
        r = self.resource
        return (self.rule_id, r.type, r.account, r.region, r.id, r.name, r.provider, self.result.value, self.message)


@dataclass(frozen=True, order=True)
class CollectionProblem:
    """A whole scope (an account, a region, an inventory file) that could not be listed: its resources are
    unknown. Providers report it, snapshots keep it, reports show it as a collection error.

    ``level`` ``warning``: an edge the run makes visible without failing on it (nothing scanned, a
    resource type no rule knows, a resource listed twice); ``error`` fails the run while errors count.
    """

    provider: str
    scope: str
    message: str
    level: str = "error"

    def __post_init__(self) -> None:
        for name in ("provider", "scope", "message"):
            object.__setattr__(self, name, clean_text(str(getattr(self, name))))

    @property
    def is_error(self) -> bool:
        """Whether it fails the run (while errors count)."""
        return self.level != "warning"

    def as_dict(self) -> dict[str, str]:
        """The JSON form (snapshots and reports); ``level`` only for a warning (older readers see errors)."""
        record = {"provider": self.provider, "scope": self.scope, "message": self.message}
        return {**record, "level": self.level} if not self.is_error else record


def fingerprint(rule_id: str, account: str, region: str, resource_id: str) -> str:
    """Stable id of a finding across runs: the same rule on the same resource."""
    text = "\x1f".join((rule_id, account, region, resource_id))
    return hashlib.sha256(text.encode()).hexdigest()[:32]
