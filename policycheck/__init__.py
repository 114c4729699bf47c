"""policycheck: policy-as-code checks for the personal-data stores of customer-service operations."""

from .errors import CollectionError, PolicycheckError
from .model import Finding, Resource, Result, Severity, Unknown
from .provider import CollectPlan, Provider, ProviderContext, register_provider
from .settings import Settings, setting

__version__ = "0.1.0"

__all__ = [
    "CollectPlan",
    "CollectionError",
    "Finding",
    "PolicycheckError",
    "Provider",
    "ProviderContext",
    "Resource",
    "Result",
    "Settings",
    "Severity",
    "Unknown",
    "__version__",
    "register_provider",
    "setting",
]
