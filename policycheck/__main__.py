"""``python -m policycheck``."""

from .cli import main

main(prog_name="policycheck")
