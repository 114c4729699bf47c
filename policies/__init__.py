"""Built-in policy packs as YAML data (installed as ``policycheck.policies``)."""
