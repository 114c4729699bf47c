"""The provider contract: how a source of resources plugs into policycheck.

A provider turns API answers or files into :class:`~policycheck.model.Resource` records and
knows nothing about policies. It is registered in the ``policycheck.providers`` entry-point
group (ours included, see ``pyproject.toml``), so a third-party package adds one the same way.
Cloud SDKs are imported inside ``collect``, never at module import.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, ClassVar

from .attributes import ResourceType, register_type
from .deadline import Deadline
from .errors import ConfigError
from .inputs import DEFAULT_MAX_INPUT_MB, MB
from .model import CollectionProblem, Resource
from .progress import UnitProgress
from .registry import Registry
from .settings import Settings, setting
from .shard import RESOURCE_ID, WHOLE, Shard

__all__ = [
    "BROKEN_PROVIDERS",
    "ENTRY_POINT_GROUP",
    "PROVIDERS",
    "CollectPlan",
    "NoSettings",
    "Provider",
    "ProviderContext",
    "ProviderSettings",
    "load_providers",
    "missing_extra_error",
    "register_provider",
]

ENTRY_POINT_GROUP = "policycheck.providers"


@dataclass(frozen=True)
class ProviderSettings(Settings):
    """What every provider's settings have: its own time limit (``providers.NAME.timeout``)."""

    timeout: float | None = setting(
        None, "Time limit for this provider in seconds, counted from when its listing begins (the run's "
        "--timeout still applies): what it has not read by then is 'error' (timed out).",
        schema={"exclusiveMinimum": 0}, expect="a positive number of seconds")


@dataclass(frozen=True)
class NoSettings(ProviderSettings):
    """A provider without settings of its own."""


@dataclass(frozen=True)
class CollectPlan:
    """What the loaded rules need: the attributes read per resource type.

    A provider lists only the types in ``needs`` and fetches only the groups holding those
    attributes. ``needs`` is None when everything is wanted (``policycheck collect`` without
    policies).
    """

    needs: Mapping[str, frozenset[str]] | None = None
    max_workers: int = 16

    def wants_type(self, type_name: str) -> bool:
        """The plan needs resources of ``type_name``."""
        return self.needs is None or type_name in self.needs

    def wants_group(self, resource_type: ResourceType, group: str) -> bool:
        """Some needed attribute of ``resource_type`` comes from collection group ``group``."""
        if self.needs is None:
            return True
        return any(resource_type.group_of(path) == group for path in self.needs.get(resource_type.name, ()))

    def groups(self, resource_type: ResourceType) -> set[str]:
        """Collection groups of ``resource_type`` that the plan needs."""
        if self.needs is None:
            return {a.group for a in resource_type.attributes} | {"tags"}
        return {resource_type.group_of(path) for path in self.needs.get(resource_type.name, ())}


@dataclass
class ProviderContext:
    """What a provider gets of the run: the evaluation date, identity settings, and where it reports scopes
    it could not list. Built from the run context (:meth:`policycheck.context.RunContext.for_provider`)."""

    provider: str = ""
    evaluation_date: dt.date = field(default_factory=lambda: dt.datetime.now(dt.UTC).date())
    reveal_identities: bool = False
    pseudonym_key: bytes = b""
    workers: int = 16
    problems: list[CollectionProblem] = field(default_factory=list)
    #: The run's shard, and how this provider splits its work between shards (see policycheck.shard).
    shard: Shard = WHOLE
    partition: str = RESOURCE_ID
    partitioned: bool = False
    #: The run's clock (UTC), for freshness checks such as AWS Config's capture times.
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC), compare=False, repr=False)
    #: Largest input file a provider reads whole (plan JSON), in bytes: the run's ``--max-input-mb``.
    max_input_bytes: int = DEFAULT_MAX_INPUT_MB * MB
    #: This provider's time limit: its own ``timeout`` under the run's ``--timeout`` (see policycheck.deadline).
    deadline: Deadline = field(default_factory=Deadline, compare=False, repr=False)
    #: Units (accounts, projects) done of total, read by the CLI's progress display; shared by the run's providers.
    progress: UnitProgress = field(default_factory=UnitProgress, compare=False, repr=False)

    def owns(self, key: str) -> bool:
        """The run's shard does the unit or resource ``key`` (always true without sharding)."""
        return self.shard.owns(key)

    def partition_by(self, key: str) -> None:
        """Say how the provider applies the shard itself (``account``, ``inventory file``, ``resource id``),
        before it yields anything; a provider that never calls this is split by resource id after listing."""
        self.partition = key
        self.partitioned = True

    def keeps(self, resource: Resource) -> bool:
        """The resource belongs in this shard's report (the run's fallback split for providers that do not shard)."""
        return self.partitioned or self.shard.owns(resource.id)

    def report_problem(self, scope: str, message: str) -> None:
        """A whole scope (account, region, file) could not be listed: its resources are unknown.

        The report shows it as a collection error, which fails the build like an ``error``
        finding; the provider carries on with the other scopes.
        """
        self.problems.append(CollectionProblem(self.provider, scope, message))


class Provider(abc.ABC):
    """Base class of every provider; subclasses set the class attributes and ``collect``."""

    name: ClassVar[str]
    description: ClassVar[str] = ""
    extra: ClassVar[str | None] = None  # pip extra with the SDK this provider needs
    resource_types: ClassVar[tuple[ResourceType, ...]] = ()
    #: The provider's settings, declared once (config section, flags, environment): see policycheck.settings.
    settings_class: ClassVar[type[Settings]] = NoSettings

    def __init__(self, settings: Settings | Mapping[str, Any], context: ProviderContext) -> None:
        """``settings`` as resolved, or a mapping checked against the declaration (the Python API)."""
        self.settings = settings if isinstance(settings, Settings) else self.settings_class.parse(settings, self.name)
        self.context = context

    @abc.abstractmethod
    def collect(self, plan: CollectPlan) -> Iterator[Resource]:
        """Yield resources; raise :class:`~policycheck.errors.CredentialError` when nothing can be read."""

    def permissions(self, plan: CollectPlan) -> list[str]:
        """Read-only permissions the plan needs (for ``policycheck permissions``)."""
        return []

    #: The permission document names things only the provider's settings know (a database role from its DSN):
    #: ``permissions`` without ``--provider`` then notes how to get it instead of printing a placeholder document.
    permissions_need_settings: ClassVar[bool] = False

    def permissions_document(self, plan: CollectPlan) -> str:
        """The permissions as the platform writes them (an IAM policy, a GRANT script, ...); one line by default."""
        needed = self.permissions(plan)
        return f"# {self.name}: " + (", ".join(needed) if needed else "no permissions needed by the loaded rules")

    @classmethod
    def demo_estate(cls) -> AbstractContextManager[dict[str, Any]] | None:
        """A context manager that builds a local demo estate and yields this provider's config.

        Used by ``policycheck demo``; None when the provider has no demo.
        """
        return None


PROVIDERS: Registry[type[Provider]] = Registry("provider")
#: Entry-point name -> why that plugin could not be loaded (reported when someone asks for it).
BROKEN_PROVIDERS: dict[str, str] = {}
_loaded = False


def register_provider(cls: type[Provider]) -> type[Provider]:
    """Register a provider class and its resource types; checks the contract at registration."""
    for attr in ("name", "resource_types"):
        if not getattr(cls, attr, None):
            raise TypeError(f"provider {cls.__qualname__} must set '{attr}'")
    if not (isinstance(cls.settings_class, type) and issubclass(cls.settings_class, Settings)):
        raise TypeError(f"provider {cls.__qualname__}: settings_class must be a Settings dataclass")
    flags = {f for other in (PROVIDERS.get(n) for n in PROVIDERS.names()) if other is not cls
             for f in _flags(other)}
    clash = {name for name, shared in flags & _flags(cls) if not shared}  # a flag all declare shared is shared
    clash |= {name for name, shared in _flags(cls) if (name, not shared) in flags}
    if clash:
        raise TypeError(f"provider {cls.name}: option(s) {sorted(clash)} already used by another provider")
    for resource_type in cls.resource_types:
        register_type(resource_type)
    PROVIDERS.register(cls.name, cls)
    return cls


def _flags(cls: type[Provider]) -> set[tuple[str, bool]]:
    """(flag name, shared) of every flag the provider declares; shared flags route values by ``claims``."""
    return {(name, spec.claims is not None) for spec in cls.settings_class.specs() if spec.flag
            for name in spec.flag.replace("/", " ").split()}


def load_providers() -> Registry[type[Provider]]:
    """Load every provider advertised in the entry-point group (once).

    A plugin that cannot be loaded is remembered in :data:`BROKEN_PROVIDERS` and reported
    when someone asks for it, so one broken plugin never breaks the others.
    """
    global _loaded
    if not _loaded:
        _loaded = True
        for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
            if entry.name in PROVIDERS:
                continue
            try:
                register_provider(entry.load())
            except Exception as exc:
                BROKEN_PROVIDERS[entry.name] = f"provider plugin '{entry.name}' ({entry.value}) cannot be loaded: " \
                                               f"{type(exc).__name__}: {exc}"
    return PROVIDERS


def missing_extra_error(provider: str, extra: str | None, exc: ImportError) -> ConfigError:
    """The one-line message when a provider's SDK is not installed."""
    hint = f"; install it with: pip install 'policycheck[{extra}]'" if extra else ""
    return ConfigError(f"provider '{provider}' needs {exc.name or 'a missing package'}{hint}")
