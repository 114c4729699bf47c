"""One run context per run: built once from the resolved settings, handed to providers and the engine.

It carries the evaluation date, the thresholds, the identity settings, the worker count and the
run's deadline (``--timeout``), under which each provider gets its own (``providers.NAME.timeout``).
Nothing after it reads the wall clock or a global for these: a scan run twice with the same
``--evaluation-date`` gives the same findings on any day.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from .deadline import Deadline
from .inputs import DEFAULT_MAX_INPUT_MB, MB
from .privacy import Pseudonymiser
from .progress import UnitProgress
from .provider import ProviderContext
from .report import Thresholds
from .run_settings import DEFAULT_WORKERS, RunSettings
from .shard import WHOLE, Shard, shard_of

__all__ = ["RunContext", "utc_now"]


def utc_now() -> dt.datetime:
    """The wall clock, in UTC (the one place a run reads it; tests hand in their own clock)."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class RunContext:
    """Run-wide facts every stage shares."""

    evaluation_date: dt.date
    thresholds: Thresholds = field(default_factory=Thresholds)
    workers: int = DEFAULT_WORKERS
    keep_passed: bool = True
    reveal_identities: bool = False
    pseudonym_key: bytes | None = None
    clock: Callable[[], dt.datetime] = utc_now
    shard: Shard | None = None  # None: not sharded (a run of 1/1 is recorded as a shard)
    deadline: Deadline = field(default_factory=Deadline)  # --timeout, counted from the context's creation
    max_input_bytes: int = DEFAULT_MAX_INPUT_MB * MB  # --max-input-mb, for what providers read whole
    provider_deadlines: list[Deadline] = field(default_factory=list, compare=False, repr=False)
    progress: UnitProgress = field(default_factory=UnitProgress, compare=False)  # units done, for the display

    @classmethod
    def build(cls, run: RunSettings, *, keep_passed: bool = True, reveal_identities: bool = False,
              clock: Callable[[], dt.datetime] = utc_now, env: Mapping[str, str] | None = None) -> RunContext:
        """The context of a run with ``run`` settings; the evaluation date defaults to the clock's day (UTC).

        ``env``: where ``--shard auto`` reads the engine's variables (the process environment by default).
        """
        return cls(
            shard=shard_of(run.shard, run.shard_count, os.environ if env is None else env),
            evaluation_date=run.evaluation_date or clock().astimezone(dt.UTC).date(),
            thresholds=Thresholds(run.severity, run.fail_on_error, run.report_only),
            workers=run.workers, keep_passed=keep_passed, reveal_identities=reveal_identities,
            pseudonym_key=run.pseudonym_key.encode("utf-8") if run.pseudonym_key else None, clock=clock,
            deadline=Deadline(run.timeout), max_input_bytes=run.max_input_bytes)

    def for_provider(self, name: str, *, timeout: float | None = None) -> ProviderContext:
        """What provider ``name`` gets of the run: its own list of collection problems, and its own deadline
        (``timeout`` seconds from when its listing begins, within the run's)."""
        deadline = Deadline(timeout, label=f"providers.{name}.timeout", parent=self.deadline)
        self.provider_deadlines.append(deadline)
        return ProviderContext(provider=name, evaluation_date=self.evaluation_date,
                               reveal_identities=self.reveal_identities, pseudonym_key=self.pseudonym_key or b"",
                               workers=self.workers, shard=self.shard or WHOLE, clock=self.clock, deadline=deadline,
                               max_input_bytes=self.max_input_bytes, progress=self.progress)

    @property
    def timed_out(self) -> bool:
        """Some stage stopped waiting for a deadline (the run's or a provider's): threads may still hang in reads."""
        return self.deadline.expired or any(d.expired for d in self.provider_deadlines)

    @cached_property
    def pseudonymiser(self) -> Pseudonymiser:
        """Pseudonyms for identifiers in the run's own messages (ConfigError without a key, unless revealed)."""
        return Pseudonymiser.from_context(self.pseudonym_key, reveal=self.reveal_identities)
