"""The run's own settings (not a provider's): declared once, for the config file, flags and environment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .errors import ConfigError
from .model import SEVERITIES, Severity
from .settings import Settings, setting

__all__ = ["DEFAULT_PACK", "DEFAULT_WORKERS", "RunSettings"]

DEFAULT_PACK = "gdpr-customer-service"
DEFAULT_WORKERS = 16
DEFAULT_MAX_WAIVER_DAYS = 90

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
    fail_on: str = setting("low", "Lowest severity that fails the run.", flag="--fail-on",
                           schema={"type": "string", "enum": list(SEVERITIES)})
    fail_on_error: bool = setting(True, "Whether error results (values that could not be read) fail the run.",
                                  flag="--fail-on-error/--no-fail-on-error")
    workers: int = setting(DEFAULT_WORKERS, "Concurrent resource evaluations.", flag="--workers",
                           schema={"minimum": 1, "maximum": 256})
    outputs: tuple[dict[str, str], ...] = setting(
        (), "Reports to write when no --format is given: {format, path}.", schema={"type": "array", "items": _OUTPUT})
    evaluation_date: dt.date | None = setting(
        None, "Evaluate as of this date (YYYY-MM-DD; default today, UTC), for reproducible reports.",
        flag="--evaluation-date", metavar="YYYY-MM-DD")
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
        None, "Number of shards for --shard auto where the engine does not say (a Kubernetes Job's completions).",
        flag="--shard-count", metavar="N", schema={"type": "integer", "minimum": 1})

    def __post_init__(self) -> None:
        if self.params is None:
            object.__setattr__(self, "params", {})

    def check(self) -> None:
        if self.pseudonym_key is not None and not self.pseudonym_key.strip():
            raise ConfigError("POLICYCHECK_PSEUDONYM_KEY: a key of only white space is no secret")

    @property
    def severity(self) -> Severity:
        """``fail_on`` as a severity."""
        return Severity.parse(self.fail_on)

    def policy_specs(self) -> list[str]:
        """The packs to load: as configured, else the built-in pack."""
        return list(self.policies) or [DEFAULT_PACK]
