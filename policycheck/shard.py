"""One run's share of the work: shard ``I/N`` of a deterministic partition of the collection units.

A shard owns a key (an account, an inventory file, a resource id) when the key's stable hash
falls on it, so N runs with the same settings split every unit between them exactly once, on any
machine, with no coordinator. ``--shard auto`` reads the index and count from the variables of
the engine running the shards (:data:`AUTO_SOURCES`): a CI matrix or a Kubernetes Indexed Job.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .errors import ConfigError

__all__ = ["AUTO_SOURCES", "RESOURCE_ID", "WHOLE", "AutoSource", "Shard", "shard_of"]

#: The partition key of a provider that the run splits by resource id (providers that split coarser say so).
RESOURCE_ID = "resource id"
#: A provider splits by whole units (accounts, projects, files) when it has at least this many per shard.
UNITS_PER_SHARD = 2

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True, order=True)
class Shard:
    """Shard ``index`` of ``count`` (1-based, GitLab's convention)."""

    index: int = 1
    count: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.count:
            raise ConfigError(f"shard {self.index}/{self.count}: the index must be between 1 and {self.count}",
                              source="--shard")

    @property
    def whole(self) -> bool:
        """The run does all the work (no sharding)."""
        return self.count == 1

    def owns(self, key: str) -> bool:
        """The key (a unit or resource id) is this shard's: its stable hash modulo ``count`` is ``index - 1``."""
        return self.whole or bucket(key, self.count) == self.index - 1

    def split_by_units(self, units: int) -> bool:
        """Whether whole units go to shards (there are enough of them), rather than resources within units."""
        return not self.whole and units >= UNITS_PER_SHARD * self.count

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


WHOLE = Shard()


def bucket(key: str, count: int) -> int:
    """The key's shard (0-based) among ``count``: the same on every machine and Python (no ``hash()``)."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count


@dataclass(frozen=True)
class AutoSource:
    """Where an engine keeps the shard: index and count variables, and whether its index counts from 0;
    ``ask_count`` finds the count where no variable holds it (ConfigError naming what to do when it cannot)."""

    engine: str
    index: str
    count: str | None
    zero_based: bool
    ask_count: Callable[[Mapping[str, str]], int] | None = None


def _job_completions(env: Mapping[str, str]) -> int:
    """The Indexed Job's ``spec.completions``, from the Kubernetes API (policycheck.kubernetes)."""
    from .kubernetes import job_completions

    return job_completions(env)


#: ``--shard auto`` tries these in order; the first whose index variable is set wins.
AUTO_SOURCES = (
    AutoSource("GitLab CI (parallel:)", "CI_NODE_INDEX", "CI_NODE_TOTAL", zero_based=False),
    AutoSource("Kubernetes Indexed Job", "JOB_COMPLETION_INDEX", None, zero_based=True, ask_count=_job_completions),
    # GitHub Actions has no such variables: the workflow sets them from strategy.job-index and strategy.job-total
    AutoSource("GitHub Actions matrix", "STRATEGY_JOB_INDEX", "STRATEGY_JOB_TOTAL", zero_based=True),
)


def shard_of(spec: str | None, count: int | None, env: Mapping[str, str]) -> Shard | None:
    """The run's shard from ``--shard`` (``I/N`` or ``auto``) and ``--shard-count``; None when not sharded."""
    if spec is None:
        if count is not None:
            raise ConfigError("--shard-count goes with --shard auto", source="--shard-count")
        return None
    if spec.strip().lower() == "auto":
        return _auto(count, env)
    match = _SPEC.match(spec)
    if match is None:
        raise ConfigError(f"expected I/N (e.g. 2/5) or 'auto', got '{spec}'", source="--shard")
    index, total = int(match[1]), int(match[2])
    if count is not None and count != total:
        raise ConfigError(f"--shard-count {count} contradicts --shard {spec}", source="--shard-count")
    return Shard(index, total)


def _auto(count: int | None, env: Mapping[str, str]) -> Shard:
    for source in AUTO_SOURCES:
        if env.get(source.index, "").strip() == "":
            continue
        index = _integer(env, source.index)
        total = _integer(env, source.count) if source.count and env.get(source.count, "").strip() else count
        if total is None and source.ask_count is not None:
            total = source.ask_count(env)
        if total is None:
            raise ConfigError(f"--shard auto: {source.engine} gives {source.index} but not the number of shards; "
                              "pass --shard-count N (the Job's completions)", source="--shard")
        if count is not None and count != total:
            raise ConfigError(f"--shard-count {count} contradicts {source.count}={total}", source="--shard-count")
        shard_index = index + 1 if source.zero_based else index
        if not 1 <= shard_index <= total:
            raise ConfigError(f"--shard auto: {source.index}={index} is outside the {total} shard(s) of "
                              f"{source.engine}", source="--shard")
        return Shard(shard_index, total)
    names = ", ".join(f"{s.index}" for s in AUTO_SOURCES)
    raise ConfigError(f"--shard auto: none of {names} is set; give --shard I/N", source="--shard")


def _integer(env: Mapping[str, str], name: str) -> int:
    text = env.get(name, "").strip()
    if not text.isdigit():
        raise ConfigError(f"--shard auto: {name} must be a whole number, got '{text}'", source="--shard")
    return int(text)


#: The signature of a provider's ownership test, for code that only needs to ask.
Owns = Callable[[str], bool]
