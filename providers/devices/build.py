"""Turn a device record into a ``device`` resource: join the staff register, pseudonymise, age dates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from policycheck.attributes import ResourceType
from policycheck.model import Resource
from policycheck.privacy import Pseudonymiser
from policycheck.regions import jurisdiction_of_country
from policycheck.vocabulary import DEVICE

from .normalise import age_days
from .record import INVENTORY_ATTRIBUTES, DeviceRecord
from .register import REGISTER_ATTRIBUTES, StaffRegister

DEVICE_TYPE = ResourceType(
    name="device",
    description="A laptop or desktop of a home-office agent, from a device inventory joined with the staff register.",
    provider="devices",
    kind="device",
    attributes=DEVICE,
)
PROVIDER = "devices"
#: Attributes a malformed or missing device has no value for.
ALL_ATTRIBUTES = tuple(a.name for a in DEVICE)


@dataclass
class Builder:
    """Everything needed to turn records into resources for one run."""

    pseudonym: Pseudonymiser
    as_of: date
    register: StaffRegister | None
    no_register_reason: str = "no staff register configured (devices.register or --register)"
    _absent: dict[str, str] = field(default_factory=dict, repr=False)  # format -> why an attribute is unknown

    def resource(self, rec: DeviceRecord) -> Resource:
        p = self.pseudonym
        key = rec.device_id or rec.serial or rec.hostname
        ident = (p("device", key) if key else None) or f"{rec.source}#L{rec.line}"
        name = p("host", rec.hostname) or p("serial", rec.serial) or ident
        values, unknown = rec.values, rec.problems  # the record is not used again: its dicts become the resource's
        if "last_seen" in values:
            seen = values.pop("last_seen")
            values["last_seen_days"] = age_days(seen, self.as_of) if seen is not None else None
        if "last_seen" in unknown:
            unknown["last_seen_days"] = unknown.pop("last_seen")
        values["owner"] = p("owner", rec.owner)
        self._join(rec, values, unknown)
        for raw_key, raw_value in rec.raw.items():
            values[f"raw.{rec.format}.{raw_key}"] = raw_value
        # a fact the inventory does not report at all is unknown, never a silent null a negated rule could pass on
        absent = self._absent.get(rec.format)
        if absent is None:
            absent = self._absent[rec.format] = f"the {rec.format} inventory does not report it"
        return Resource(type=DEVICE_TYPE.name, id=f"{rec.format}:{ident}", name=name, provider=PROVIDER,
                        account=rec.source, region="", tags={}, attributes=values, unknown=unknown, absent=absent,
                        bounds={a: b for a, b in rec.bounds.items() if a in unknown} if rec.bounds else None)

    def _join(self, rec: DeviceRecord, values: dict[str, Any], unknown: dict[str, str]) -> None:
        device_country = values.get("location.country")
        if self.register is None:
            reason = self.no_register_reason
            person = None
        elif not rec.owner:
            reason = f"{rec.where()}: the device has no owner to look up in the staff register"
            person = None
        else:
            person = self.register.find(rec.owner, rec.owner_aliases)
            reason = "" if person else f"{rec.where()}: the owner is not in the staff register {self.register.name}"
        if person is None:
            for attr in REGISTER_ATTRIBUTES:
                unknown.setdefault(attr, reason)
        else:
            values.update(person.values)
            for attr, why in person.problems.items():
                unknown.setdefault(attr, why)
        if device_country:  # where the device itself reports being wins over the home country
            values["location.country"] = device_country
            values["location.jurisdiction"] = jurisdiction_of_country(device_country)
            unknown.pop("location.country", None)
            unknown.pop("location.jurisdiction", None)


__all__ = ["ALL_ATTRIBUTES", "DEVICE_TYPE", "INVENTORY_ATTRIBUTES", "Builder"]
