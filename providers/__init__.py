"""Built-in providers (installed as ``policycheck.providers``)."""
