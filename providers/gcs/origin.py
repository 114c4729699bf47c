"""Where a bucket's facts came from, with ``--gcp-source inventory|auto``: the ``raw.collected_from`` attributes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policycheck.attributes import AttributeSpec

#: Set on every bucket when Cloud Asset Inventory is a source (mirrors AWS Config's raw.collected_from).
FRESHNESS = (
    AttributeSpec("raw.collected_from", "string", "Where the bucket's facts came from: inventory (Cloud Asset "
                  "Inventory's search results, the live API for what they lack) or api (the live Cloud Storage API); "
                  "set only with --gcp-source inventory or auto.", "raw"),
    AttributeSpec("raw.inventory_read_time", "string", "When Cloud Asset Inventory answered the search the bucket's "
                  "facts came from (ISO 8601, UTC; the index is searched as it stands, so this is the capture time); "
                  "null for facts from the live API.", "raw"),
)

INVENTORY = "inventory"
API = "api"


@dataclass(frozen=True)
class Origin:
    """``collected_from`` (inventory | api), the search's time, and the IAM bindings the inventory holds (None:
    it holds none for this bucket, so the live API is asked if a rule needs them)."""

    collected_from: str
    read_time: str | None = None
    bindings: Sequence[Mapping[str, Any]] | None = None

    def attributes(self) -> dict[str, Any]:
        return {"raw.collected_from": self.collected_from, "raw.inventory_read_time": self.read_time}


#: The origin of buckets read from the live API while Cloud Asset Inventory is a source.
LIVE = Origin(API)
