"""``DeviceProvider``: home-office device inventories joined with the staff register."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from policycheck.errors import ConfigError, InputError
from policycheck.model import Resource
from policycheck.privacy import Pseudonymiser
from policycheck.provider import CollectPlan, Provider, ProviderOption

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


class DeviceProvider(Provider):
    """Devices from osquery, Fleet, Intune, Jamf or policycheck CSV/JSON inventories."""

    name = "devices"
    description = "Home-office device inventories (osquery, Fleet, Intune, Jamf, CSV/JSON) and the staff register"
    extra = None
    resource_types = (DEVICE_TYPE,)
    options: ClassVar[tuple[ProviderOption, ...]] = (
        ProviderOption("--inventory", "inventories", "Device inventory file, PATH or FORMAT:PATH (repeatable)."),
        ProviderOption("--inventory-format", "inventory_format",
                       "Format of --inventory files given without FORMAT: (default: detect).", multiple=False),
        ProviderOption("--register", "register", "Staff register CSV (agreements, training, home country).",
                       multiple=False),
        ProviderOption("--register-column", "register_column",
                       "Register column for a key, KEY=COLUMN (repeatable; keys: " + ", ".join(REGISTER_KEYS) + ")."),
        ProviderOption("--inventory-column", "inventory_column",
                       "Column of a policycheck-csv inventory for one of our column names, KEY=COLUMN (repeatable)."),
    )
    config_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "inventories": {"type": "array", "items": _INVENTORY_ITEM},
            "inventory_format": {"type": "string"},
            "register": {"type": "string", "description": "Staff register CSV"},
            "register_date_order": {"enum": ["mdy", "dmy"]},
            "register_columns": _column_mapping(REGISTER_KEYS, "Staff register columns by key"),
            "register_column": {"type": "array", "items": {"type": "string"}, "description": "KEY=COLUMN entries"},
            "inventory_columns": _column_mapping(NATIVE_KEYS, "Columns of policycheck-csv inventories by our name"),
            "inventory_column": {"type": "array", "items": {"type": "string"}, "description": "KEY=COLUMN entries"},
            "as_of": {"type": "string", "format": "date",
                      "description": "Day ages are counted to (default: the run's --evaluation-date, else today)"},
            "shard": {"type": "string", "pattern": "^[0-9]+/[1-9][0-9]*$",
                      "description": "i/n: read only every n-th device of each file, starting at the i-th (0-based)"},
            "pseudonym_key": {"type": "string", "minLength": 16, "description": (
                "Key for pseudonyms; prefer the POLICYCHECK_PSEUDONYM_KEY environment variable")},
        },
    }

    # -- configuration ------------------------------------------------------------------
    def sources(self) -> list[InventorySource]:
        items = self.config.get("inventories") or []
        if isinstance(items, str | Mapping):
            items = [items]
        default_format = self.config.get("inventory_format") or None
        if default_format:
            format_named(default_format)
        sources = [self._source(item, default_format) for item in items]
        if not sources:
            raise ConfigError("devices: no inventory given (--inventory PATH or devices.inventories)")
        shard = self.shard()
        columns = tuple(parse_mapping(self.config.get("inventory_columns"), self.config.get("inventory_column"),
                                      "devices.inventory_columns", "--inventory-column", NATIVE_KEYS).items())
        return [replace(s, shard=shard, columns=columns) for s in sources]

    def shard(self) -> tuple[int, int]:
        text = str(self.config.get("shard") or "0/1")
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

    def as_of(self) -> date:
        """The day every age is counted to: ``devices.as_of`` if set, else the run's evaluation date."""
        value = self.config.get("as_of")
        if not value:
            return self.context.evaluation_date
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise ConfigError(f"devices.as_of: not a date '{value}' (use YYYY-MM-DD)") from None

    def builder(self) -> Builder:
        as_of = self.as_of()
        register = None
        if self.config.get("register"):
            columns = parse_mapping(self.config.get("register_columns"), self.config.get("register_column"),
                                    "devices.register_columns", "--register-column", REGISTER_KEYS)
            register = StaffRegister.load(Path(self.config["register"]), as_of,
                                          date_order=self.config.get("register_date_order", "mdy"), columns=columns)
            log.info("staff register %s: %d people", register.name, len(register))
        key = self.context.pseudonym_key or self.config.get("pseudonym_key") or None
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
