"""The run's own settings (not a provider's): declared once, for the config file, flags and environment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .errors import ConfigError
from .inputs import DEFAULT_MAX_INPUT_MB, MB
from .model import SEVERITIES, Severity
from .settings import Settings, setting

__all__ = ["DEFAULT_PACK", "DEFAULT_WORKERS", "RunSettings"]

DEFAULT_PACK = "gdpr-customer-service"
DEFAULT_WORKERS = 16
DEFAULT_MAX_WAIVER_DAYS = 90

#: ``--fail-on`` also takes ``never``: report only, exit 0 unless the run itself is wrong (usage, config).
FAIL_ON_CHOICES = (*SEVERITIES, "never")
_SEVERITY_LIST = "|".join(SEVERITIES)
_RULE_OVERRIDE = {"type": "object", "additionalProperties": False, "minProperties": 1,
                  "properties": {"enabled": {"type": "boolean", "description": "false: the rule is not evaluated."},
                                 "severity": {"type": "string", "enum": list(SEVERITIES),
                                              "description": "The rule's severity in this run."}}}

_OUTPUT = {"type": "object", "required": ["format"], "additionalProperties": False,
           "properties": {"format": {"type": "string"}, "path": {"type": "string"}}}


@dataclass(frozen=True)
class RunSettings(Settings):
    """What a team would otherwise repeat on every call: packs, params, thresholds, waivers, outputs."""

    policies: tuple[str, ...] = setting(
        (), f"Policy file, folder or built-in pack (repeatable; default {DEFAULT_PACK}).", flag="--policy -p",
        metavar="FILE|DIR|PACK", path="if-exists")
    params: dict[str, Any] = setting(
        None, "Override a policy param (value in YAML syntax, e.g. '[EU, EEA]').", flag="--param",
        metavar="NAME=VALUE")
    waivers: str | None = setting(None, "Waiver file.", flag="--waivers", path="always")
    max_waiver_days: int = setting(DEFAULT_MAX_WAIVER_DAYS, "Longest allowed waiver in days.",
                                   flag="--max-waiver-days", schema={"minimum": 1})
    baseline: str | None = setting(None, "Previous JSON report: fail only on new findings.", flag="--baseline",
                                   path="always")
    fail_on: str = setting("low", "Lowest severity that fails the run ('never': report only, exit 0).",
                           flag="--fail-on", schema={"type": "string", "enum": list(FAIL_ON_CHOICES)})
    fail_on_error: bool = setting(True, "Whether error results (values that could not be read) fail the run.",
                                  flag="--fail-on-error/--no-fail-on-error")
    max_input_mb: int = setting(
        DEFAULT_MAX_INPUT_MB, "Largest snapshot, baseline or diff report read, in MB (raise it for big estates).",
        flag="--max-input-mb", schema={"minimum": 1})
    fail_on_empty: bool = setting(False, "Fail the run when no resource at all was scanned (else a warning).",
                                  flag="--fail-on-empty")
    timeout: float | None = setting(
        None, "Time limit for the whole scan in seconds: what is not read by then is 'error' (timed out).",
        flag="--timeout", metavar="SECONDS", schema={"exclusiveMinimum": 0})
    workers: int = setting(DEFAULT_WORKERS, "Concurrent resource evaluations.", flag="--workers",
                           schema={"minimum": 1, "maximum": 256})
    outputs: tuple[dict[str, str], ...] = setting(
        (), "Reports to write when no --format is given: {format, path}.", schema={"type": "array", "items": _OUTPUT})
    evaluation_date: dt.date | None = setting(
        None, "Evaluate as of this date (YYYY-MM-DD; default today, UTC), for reproducible reports.",
        flag="--evaluation-date", metavar="YYYY-MM-DD")
    select_rules: tuple[str, ...] = setting(
        (), "Evaluate only rules whose id matches (repeatable; shell-style glob, e.g. 'GDPR-SEC-*').", flag="--rule",
        metavar="ID|GLOB", schema={"type": "array", "items": {"type": "string", "minLength": 1}})
    skip_rules: tuple[str, ...] = setting(
        (), "Leave out rules whose id matches (repeatable; shell-style glob).", flag="--skip-rule", metavar="ID|GLOB",
        schema={"type": "array", "items": {"type": "string", "minLength": 1}})
    severities: tuple[str, ...] = setting(
        (), "Evaluate only rules of these severities (repeatable or comma-separated).", flag="--severity",
        metavar="LEVEL[,LEVEL]", items={"pattern": f"^({_SEVERITY_LIST})(,({_SEVERITY_LIST}))*$"},
        expect=f"a severity list ({', '.join(SEVERITIES)}; comma-separated)")
    references: tuple[str, ...] = setting(
        (), "Evaluate only rules citing this legal reference (repeatable; e.g. 'GDPR Art. 32' also selects "
            "'GDPR Art. 32(1)(a)').", flag="--reference", metavar="REFERENCE",
        schema={"type": "array", "items": {"type": "string", "minLength": 1}})
    rules: dict[str, Any] = setting(
        None, "Per-rule overrides by rule id: {enabled: false} or {severity: LEVEL}.",
        schema={"type": "object", "additionalProperties": _RULE_OVERRIDE})
    sla: dict[str, int] = setting(
        None, "Fix-by deadline in days per severity (e.g. critical=7): a baselined finding past it fails again.",
        flag="--sla", metavar="SEVERITY=DAYS",
        schema={"type": "object", "additionalProperties": False,
                "properties": {s: {"type": "integer", "minimum": 0} for s in SEVERITIES}})
    quiet: bool = setting(False, "Print only the verdict line (on stderr); reports to files are still written.",
                          flag="--quiet")
    compact: bool = setting(False, "One line per failing finding instead of the text tables on standard output.",
                            flag="--compact")
    notify: tuple[str, ...] = setting(
        (), "Post a summary to this webhook after the run (repeatable): Slack, Teams or JSON; 'env:NAME' reads the "
            "URL from a variable.", flag="--notify", metavar="[KIND:]URL")
    notify_always: bool = setting(False, "Notify even when nothing changed (no new, resolved or overdue finding).",
                                  flag="--notify-always")
    report_url: str | None = setting(None, "Link to the report in notifications (default: the CI run's page).",
                                     flag="--report-url", metavar="URL")
    pseudonym_key: str | None = setting(
        None, "Secret key for pseudonyms of personal identifiers (environment only).", config=False,
        env_name="POLICYCHECK_PSEUDONYM_KEY")
    # -- sharding (issue 16) --
    shard: str | None = setting(
        None, "Do only shard I of N of the collection units (1-based), or 'auto' from CI_NODE_INDEX/CI_NODE_TOTAL "
        "(GitLab), JOB_COMPLETION_INDEX (Kubernetes) or STRATEGY_JOB_INDEX/STRATEGY_JOB_TOTAL (GitHub matrix).",
        flag="--shard", metavar="I/N|auto", schema={"type": "string", "pattern": r"^(auto|\s*\d+\s*/\s*\d+\s*)$"},
        expect="I/N (e.g. 2/5) or auto")
    shard_count: int | None = setting(
        None, "Number of shards for --shard auto where the engine does not say; in a Kubernetes pod, default: "
        "the Job's spec.completions, read from the Kubernetes API (JOB_NAME).",
        flag="--shard-count", metavar="N", schema={"type": "integer", "minimum": 1})

    def __post_init__(self) -> None:
        for key in ("params", "rules", "sla"):
            if getattr(self, key) is None:
                object.__setattr__(self, key, {})

    def check(self) -> None:
        if self.pseudonym_key is not None and not self.pseudonym_key.strip():
            raise ConfigError("POLICYCHECK_PSEUDONYM_KEY: a key of only white space is no secret")

    @property
    def max_input_bytes(self) -> int:
        """``max_input_mb`` in bytes."""
        return self.max_input_mb * MB

    @property
    def severity(self) -> Severity:
        """``fail_on`` as a severity (``never``: the lowest; :attr:`report_only` says nothing fails)."""
        return Severity.INFO if self.report_only else Severity.parse(self.fail_on)

    @property
    def report_only(self) -> bool:
        """``--fail-on never``: findings are reported, the exit code stays 0."""
        return self.fail_on == "never"

    def severity_choices(self) -> set[str]:
        """``--severity`` values, comma-separated lists split."""
        return {part for value in self.severities for part in value.split(",")}

    def policy_specs(self) -> list[str]:
        """The packs to load: as configured, else the built-in pack."""
        return list(self.policies) or [DEFAULT_PACK]
