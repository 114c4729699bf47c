"""Home-office device inventories (osquery, Fleet, Intune, Jamf, policycheck CSV/JSON) as ``device`` resources.

Inventory formats live in :mod:`.formats` (one module each, registered by name); the staff
register in :mod:`.register`; value parsing in :mod:`.normalise`; format detection in
:mod:`.detect`. The file format of our own CSV/JSON is documented in ``FORMAT.md`` beside this file.
"""

from .build import DEVICE_TYPE
from .formats import FORMATS, InventorySource
from .provider import DeviceProvider

__all__ = ["DEVICE_TYPE", "FORMATS", "DeviceProvider", "InventorySource"]
