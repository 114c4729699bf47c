"""docs/ is what ``policycheck rules`` renders from the pack and the installed providers' types."""

from __future__ import annotations

import subprocess
from pathlib import Path

import policycheck_gdpr_testkit as kit
import pytest

from policycheck.provider import BROKEN_PROVIDERS

DOCUMENTS = {
    "gdpr-customer-service.md": ["rules", "--policy", kit.PACK, "--format", "markdown"],
    "attributes.md": ["rules", "--attributes", "--format", "markdown"],
}


@pytest.mark.integration
@pytest.mark.parametrize("name", list(DOCUMENTS))
def test_docs_are_current(name: str, shipped_types: list[str], tmp_path: Path) -> None:
    if shipped_types or BROKEN_PROVIDERS:
        pytest.skip(f"docs need every built-in provider installed; missing: {shipped_types or BROKEN_PROVIDERS}")
    args = DOCUMENTS[name]
    done = subprocess.run([*kit.policycheck_command(), *args], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    committed = (kit.DOCS / name).read_text(encoding="utf-8")
    assert done.stdout == committed, f"docs/{name} is stale; regenerate: policycheck {' '.join(args)} > docs/{name}"


def test_rule_docs_show_every_rule_with_articles_and_remediation() -> None:
    text = (kit.DOCS / "gdpr-customer-service.md").read_text(encoding="utf-8")
    for rule in kit.gdpr_pack().rules:
        section = text.split(f"\n## {rule.id}\n", 1)[1].split("\n## ", 1)[0]
        assert f"References: {', '.join(rule.references)}" in section
        assert rule.remediation.strip() in section
    assert "## Articles" in text and "## Out of scope" in text and "## Parameters" in text
    assert "| BDSG § 35(3) |" in text and "§ 64" not in text
    assert "adequacy-dpf" in text and "Art. 48" in text  # what a location check does not prove
