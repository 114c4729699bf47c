"""Terraform/OpenTofu provider: plan and state JSON mapped onto the cloud providers' resource types.

Entry point ``policycheck.providers.terraform:TerraformProvider``. python-hcl2 (the
``terraform`` extra) is imported only for ``--terraform-dir``.
"""

from .provider import TerraformProvider

__all__ = ["TerraformProvider"]
