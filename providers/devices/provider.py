"""``DeviceProvider``: home-office device inventories joined with the staff register."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from policycheck.errors import ConfigError, InputError
from policycheck.model import Resource
from policycheck.privacy import Pseudonymiser
from policycheck.provider import CollectPlan, Provider, ProviderSettings
from policycheck.settings import setting

from .build import DEVICE_TYPE, Builder
from .detect import check_inventory, format_named, read_inventory
from .formats import FORMATS, InventorySource
from .formats.native import KEYS as NATIVE_KEYS
from .record import DeviceRecord, PageMark
from .register import StaffRegister
from .register_columns import KEYS as REGISTER_KEYS
from .register_columns import parse_mapping

log = logging.getLogger(__name__)

DEMO = Path(__file__).resolve().parent / "demo"  # shipped as package data, so the demo runs from a wheel too
DEMO_KEY = "policycheck-demo-pseudonym-key-not-secret"
DEMO_AS_OF = "2026-11-02"  # the day the example inventories were exported: ages stay as the README shows them

_INVENTORY_ITEM = {
    "oneOf": [
        {"type": "string", "description": "PATH, or FORMAT:PATH to skip detection"},
        {"type": "object", "required": ["path"], "additionalProperties": False, "properties": {
            "path": {"type": "string"},
            "format": {"type": "string"},
            "label": {"type": "string",
                      "description": "Account name of the file's devices in findings (default: the format name)"},
            "date_order": {"enum": ["mdy", "dmy"], "description": "How to read 03/04/2026 (default mdy)"},
            "encoding": {"type": "string", "description": "Force an encoding, e.g. cp1252"},
        }},
    ]
}


def _column_mapping(keys: tuple[str, ...], description: str) -> dict[str, Any]:
    names = {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}]}
    # keys are checked when the provider reads them, with a did-you-mean (keys: see FORMAT.md)
    return {"type": "object", "description": f"{description}: KEY -> column name or list of names "
            f"(keys: {', '.join(keys)})", "additionalProperties": names}


_COLUMNS = "a column name or a non-empty list of column names"


@dataclass(frozen=True)
class DeviceSettings(ProviderSettings):
    """Device inventories and the staff register."""

    section = "devices"

    inventories: tuple[Any, ...] = setting(
        (), "Device inventory file, PATH or FORMAT:PATH (repeatable).", flag="--inventory",
        schema={"type": "array", "items": _INVENTORY_ITEM}, metavar="[FORMAT:]PATH")
    inventory_format: str | None = setting(
        None, "Format of inventory files given without FORMAT: (default: detect).", flag="--inventory-format",
        schema={"type": "string", "enum": FORMATS.names()})
    register: str | None = setting(None, "Staff register CSV (agreements, training, home country).",
                                   flag="--register", path="always")
    register_date_order: str = setting("mdy", "How to read 03/04/2026 in the register.",
                                       schema={"type": "string", "enum": ["mdy", "dmy"]})
    as_of: dt.date | None = setting(None, "Day ages are counted to (default: the run's evaluation date).")
    shard: str = setting("0/1", "i/n: read only every n-th device of each file, starting at the i-th (0-based).",
                         schema={"type": "string", "pattern": "^[0-9]+/[1-9][0-9]*$"})
    register_columns: dict[str, Any] = setting(
        None, "Register column for a key, KEY=COLUMN (repeatable; keys: " + ", ".join(REGISTER_KEYS) + ").",
        flag="--register-column", metavar="KEY=COLUMN", pairs="collect", expect=_COLUMNS,
        schema=_column_mapping(REGISTER_KEYS, "Staff register columns by key"))
    inventory_columns: dict[str, Any] = setting(
        None, "Column of a policycheck-csv inventory for one of our column names, KEY=COLUMN (repeatable).",
        flag="--inventory-column", metavar="KEY=COLUMN", pairs="collect", expect=_COLUMNS,
        schema=_column_mapping(NATIVE_KEYS, "Columns of policycheck-csv inventories by our name"))
    pseudonym_key: str | None = setting(
        None, "Key for pseudonyms; prefer the POLICYCHECK_PSEUDONYM_KEY environment variable.",
        schema={"type": "string", "minLength": 16})

    def __post_init__(self) -> None:
        for key in ("register_columns", "inventory_columns"):
            if getattr(self, key) is None:
                object.__setattr__(self, key, {})

    def input_paths(self) -> list[str]:
        paths = super().input_paths()
        for item in self.inventories:  # PATH, FORMAT:PATH or {path: ...}
            text = str(item.get("path", "")) if isinstance(item, dict) else str(item)
            paths += [text, text.partition(":")[2]] if ":" in text else [text]
        return [p for p in paths if p]

    def check(self) -> None:
        self.register_mapping  # noqa: B018 - unknown keys and malformed entries are refused up front
        self.inventory_mapping  # noqa: B018

    @property
    def register_mapping(self) -> dict[str, tuple[str, ...]]:
        """Register key -> the columns mapped to it."""
        return parse_mapping(self.register_columns, None, "register_columns", "--register-column", REGISTER_KEYS)

    @property
    def inventory_mapping(self) -> dict[str, tuple[str, ...]]:
        """Our column name -> the policycheck-csv inventory columns mapped to it."""
        return parse_mapping(self.inventory_columns, None, "inventory_columns", "--inventory-column", NATIVE_KEYS)


class DeviceProvider(Provider):
    """Devices from osquery, Fleet, Intune, Jamf or policycheck CSV/JSON inventories."""

    name = "devices"
    description = "Home-office device inventories (osquery, Fleet, Intune, Jamf, CSV/JSON) and the staff register"
    extra = None
    resource_types = (DEVICE_TYPE,)
    settings_class = DeviceSettings
    settings: DeviceSettings

    # -- configuration ------------------------------------------------------------------
    def sources(self) -> list[InventorySource]:
        items = self.settings.inventories
        default_format = self.settings.inventory_format or None
        if default_format:
            format_named(default_format)
        sources = [self._source(item, default_format) for item in items]
        if not sources:
            raise ConfigError("devices: no inventory given (--inventory PATH or devices.inventories)")
        shard = self.shard()
        run_shard = self.context.shard
        if not run_shard.whole:
            if shard != (0, 1):
                raise ConfigError("devices.shard and --shard both split the devices; give only --shard")
            if run_shard.split_by_units(len(sources)):  # many files: whole files per shard, by their name
                self.context.partition_by("inventory file")
                sources = [s for s in sources if self.context.owns(f"devices:{s.name}")]
            else:  # few files: every shard reads them, and builds only its own rows (by position in the file)
                self.context.partition_by("inventory row")
                shard = (run_shard.index - 1, run_shard.count)
        columns = tuple(self.settings.inventory_mapping.items())
        return [replace(s, shard=shard, columns=columns) for s in sources]

    def shard(self) -> tuple[int, int]:
        """``devices.shard`` (0-based i/n, every n-th row); the run's ``--shard`` supersedes it."""
        text = self.settings.shard
        index, _, count = text.partition("/")
        if not (index.isdigit() and count.isdigit() and 0 <= int(index) < int(count)):
            raise ConfigError(f"devices.shard: expected i/n with 0 <= i < n, got '{text}'")
        return int(index), int(count)

    @staticmethod
    def _source(item: str | Mapping[str, Any], default_format: str | None) -> InventorySource:
        if isinstance(item, Mapping):
            fmt = item.get("format") or default_format
            if fmt:
                format_named(fmt)
            return InventorySource(Path(item["path"]), fmt, item.get("label", ""), item.get("date_order", "mdy"),
                                   item.get("encoding"))
        head, sep, rest = str(item).partition(":")
        if sep and head in FORMATS:
            return InventorySource(Path(rest), head)
        return InventorySource(Path(str(item)), default_format)

    def as_of(self) -> dt.date:
        """The day ages count to: the configured ``as_of``, else the run's evaluation date."""
        return self.settings.as_of or self.context.evaluation_date

    def builder(self) -> Builder:
        as_of = self.as_of()
        register = None
        if self.settings.register:
            register = StaffRegister.load(Path(self.settings.register), as_of,
                                          date_order=self.settings.register_date_order,
                                          columns=self.settings.register_mapping)
            log.info("staff register %s: %d people", register.name, len(register))
        key = self.context.pseudonym_key or self.settings.pseudonym_key or None
        pseudonym = Pseudonymiser.from_context(key, reveal=self.context.reveal_identities)
        return Builder(pseudonym, as_of, register)

    # -- collection ---------------------------------------------------------------------
    def collect(self, plan: CollectPlan) -> Iterator[Resource]:
        if not plan.wants_type(DEVICE_TYPE.name):
            return
        sources = self.sources()
        for source in sources:  # a missing, unreadable or unrecognised file stops the run before anything is read
            check_inventory(source)
        builder = self.builder()
        pages: dict[str, list[PageMark]] = {}
        collected = 0
        for source in sources:
            devices = malformed = 0
            try:
                for item in read_inventory(source):
                    if isinstance(item, PageMark):
                        pages.setdefault(item.format, []).append(item)
                        continue
                    devices += 1
                    collected += 1
                    if item.problems:
                        malformed += _is_malformed(item)
                    resource = builder.resource(item)
                    # the account is the inventory's label or format, never the file name: nightly exports with
                    # dated names must keep their fingerprints, or every finding would look new to --baseline
                    resource.account = source.label or item.format
                    yield resource
            except InputError as exc:
                if not collected:
                    raise
                # a file that breaks part-way (truncated): its other devices are unknown, the other files are read
                where = f"{exc.place}: " if exc.place else ""
                self.context.report_problem(source.name, f"{where}{exc.message}; the file was read only in part, so "
                                                         "some of its devices were not checked")
            log.info("%s: %d devices (%d with unreadable values)", source.name, devices, malformed)
        for marks in pages.values():
            if all(mark.has_next for mark in marks):
                last = marks[-1]
                self.context.report_problem(last.source, (
                    f"line {last.line}: every page read has an @odata.nextLink; the following page(s) were not "
                    "supplied, so their devices were not checked"))

    @classmethod
    @contextmanager
    def demo_estate(cls) -> Iterator[dict[str, Any]]:
        """The demo inventories and staff register shipped in the package (``demo/``)."""
        if not DEMO.is_dir():
            raise ConfigError(f"the demo inventories are missing ({DEMO}); reinstall policycheck")
        yield {
            "inventories": [str(DEMO / "intune-devices.csv"), str(DEMO / "jamf-computers.json"),
                            str(DEMO / "laptops.csv")],
            "register": str(DEMO / "staff-register.csv"),
            "pseudonym_key": DEMO_KEY,
            "as_of": DEMO_AS_OF,
        }


def _is_malformed(rec: DeviceRecord) -> int:
    return int(any(" line " in reason for reason in rec.problems.values()))
