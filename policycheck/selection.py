"""Which loaded rules a run evaluates, and at what severity: ``--rule``, ``--skip-rule``, ``--severity``,
``--reference`` and the config file's per-rule overrides (``rules: {GDPR-SEC-006: {enabled: false}}``).

Every id, glob and reference must match a loaded rule (a typo would silently check less), and the
report records what was left out or overridden, so a reader sees the run checked less than the pack.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigError
from .model import Severity
from .policy import PolicyPack, Rule
from .registry import did_you_mean

__all__ = ["DeselectedRule", "OverriddenRule", "RuleSelection", "cites", "select_rules"]


@dataclass(frozen=True)
class DeselectedRule:
    """A loaded rule the run does not evaluate, and why (``--skip-rule GDPR-SEC-*``)."""

    rule_id: str
    reason: str


@dataclass(frozen=True)
class OverriddenRule:
    """A rule whose severity the config changed."""

    rule_id: str
    severity: str
    pack_severity: str


@dataclass(frozen=True)
class RuleSelection:
    """The criteria of a run's selection and its outcome, as reports record them."""

    criteria: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    deselected: tuple[DeselectedRule, ...] = ()
    overridden: tuple[OverriddenRule, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (reports)."""
        return {"criteria": {k: list(v) for k, v in self.criteria.items()},
                "deselected": [dataclasses.asdict(d) for d in self.deselected],
                "overridden": [dataclasses.asdict(o) for o in self.overridden]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleSelection:
        """Read back from a JSON report (missing parts are empty)."""
        return cls({str(k): tuple(str(x) for x in v) for k, v in (data.get("criteria") or {}).items()},
                   tuple(DeselectedRule(str(d["rule_id"]), str(d["reason"])) for d in data.get("deselected") or ()),
                   tuple(OverriddenRule(str(o["rule_id"]), str(o["severity"]), str(o["pack_severity"]))
                         for o in data.get("overridden") or ()))

    def note(self) -> str:
        """One line for reports, empty when the packs run as written."""
        parts = []
        if self.deselected:
            parts.append(f"{len(self.deselected)} rule(s) not evaluated ("
                         + ", ".join(f"{d.rule_id}: {d.reason}" for d in self.deselected[:5])
                         + (", ..." if len(self.deselected) > 5 else "") + ")")
        if self.overridden:
            parts.append("severity overridden: " + ", ".join(f"{o.rule_id} {o.pack_severity} -> {o.severity}"
                                                             for o in self.overridden))
        return "; ".join(parts)


def cites(rule: Rule, reference: str) -> bool:
    """``rule`` cites ``reference`` or a part of it: 'GDPR Art. 32' matches 'GDPR Art. 32(1)(a)', not
    'GDPR Art. 3' or 'GDPR Art. 320'. Case and spacing are not significant."""
    wanted = _norm(reference)
    return any(ref == wanted or (ref.startswith(wanted) and not ref[len(wanted)].isalnum())
               for ref in map(_norm, rule.references))


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip()).casefold()


#: One selection criterion: its setting key, its flag, whether a rule passes it, and what to call a miss.
@dataclass(frozen=True)
class _Criterion:
    key: str
    flag: str
    keeps: Callable[[Rule, tuple[str, ...]], bool]
    reason: Callable[[tuple[str, ...]], str]


def _matches(rule: Rule, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(rule.id, p) for p in patterns)


_CRITERIA = (
    _Criterion("select_rules", "--rule", _matches, lambda v: "not selected by --rule " + ", ".join(v)),
    _Criterion("skip_rules", "--skip-rule", lambda r, v: not _matches(r, v), lambda v: "--skip-rule " + ", ".join(v)),
    _Criterion("severities", "--severity", lambda r, v: r.severity.label in v,
               lambda v: "severity not in --severity " + ",".join(v)),
    _Criterion("references", "--reference", lambda r, v: any(cites(r, ref) for ref in v),
               lambda v: "cites none of --reference " + ", ".join(v)),
)


def select_rules(packs: list[PolicyPack], criteria: Mapping[str, tuple[str, ...]],
                 overrides: Mapping[str, Mapping[str, Any]], origins: Mapping[str, str] | None = None,
                 ) -> tuple[list[PolicyPack], RuleSelection]:
    """The packs with only the selected rules, severities overridden, and the record of what changed.

    ``criteria`` maps a setting key (``select_rules``, ``skip_rules``, ``severities``, ``references``)
    to its values; ``overrides`` is the config's ``rules:`` map; ``origins`` names where each came from.
    A pattern, reference or override that matches no loaded rule is a ConfigError (exit 2).
    """
    origins = origins or {}
    every = [rule for pack in packs for rule in pack.rules]
    ids = [rule.id for rule in every]
    _check(every, ids, criteria, overrides, origins)
    deselected: list[DeselectedRule] = []
    overridden: list[OverriddenRule] = []
    kept_packs = []
    for pack in packs:
        kept = []
        for rule in pack.rules:
            override = overrides.get(rule.id) or {}
            if override.get("enabled") is False:
                deselected.append(DeselectedRule(rule.id, "enabled: false in the config's rules"))
                continue
            if "severity" in override and override["severity"] != rule.severity.label:
                overridden.append(OverriddenRule(rule.id, override["severity"], rule.severity.label))
                rule = dataclasses.replace(rule, severity=Severity.parse(override["severity"]))
            missed = next((c for c in _CRITERIA if criteria.get(c.key) and not c.keeps(rule, criteria[c.key])), None)
            if missed is not None:
                deselected.append(DeselectedRule(rule.id, missed.reason(criteria[missed.key])))
                continue
            kept.append(rule)
        kept_packs.append(dataclasses.replace(pack, rules=tuple(kept)))
    if every and not any(pack.rules for pack in kept_packs):
        given = ", ".join(c.flag for c in _CRITERIA if criteria.get(c.key)) or "the config's rules"
        raise ConfigError(f"no rule left to evaluate after {given}: {len(every)} rule(s) loaded, all deselected",
                          source=given.split(", ")[0])
    used = {k: tuple(v) for k, v in criteria.items() if v}
    return kept_packs, RuleSelection(used, tuple(deselected), tuple(overridden))


def _check(rules: list[Rule], ids: list[str], criteria: Mapping[str, tuple[str, ...]],
           overrides: Mapping[str, Mapping[str, Any]], origins: Mapping[str, str]) -> None:
    for key, flag in (("select_rules", "--rule"), ("skip_rules", "--skip-rule")):
        for pattern in criteria.get(key) or ():
            if not any(fnmatch.fnmatchcase(rule_id, pattern) for rule_id in ids):
                raise ConfigError(f"'{pattern}' matches no loaded rule{did_you_mean(pattern, ids)}",
                                  source=origins.get(key, flag))
    references = sorted({ref for rule in rules for ref in rule.references})
    for reference in criteria.get("references") or ():
        if not any(cites(rule, reference) for rule in rules):
            raise ConfigError(f"no loaded rule cites '{reference}'{did_you_mean(reference, references)}",
                              source=origins.get("references", "--reference"))
    for rule_id in overrides:
        if rule_id not in ids:
            raise ConfigError(f"rules: unknown rule id '{rule_id}'{did_you_mean(rule_id, ids)}",
                              source=origins.get(f"rules.{rule_id}", "rules"))
