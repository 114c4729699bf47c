"""AWS provider: S3 buckets, RDS instances and Aurora clusters, DynamoDB tables (read-only)."""

from .provider import AwsProvider

__all__ = ["AwsProvider"]
