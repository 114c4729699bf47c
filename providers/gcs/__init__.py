"""Google Cloud Storage provider: buckets in the shared data-store vocabulary.

Entry point ``policycheck.providers.gcs:GcsProvider``. google-cloud-storage (the ``gcp``
extra) is imported only when collecting.
"""

from .provider import GcsProvider

__all__ = ["GcsProvider"]
