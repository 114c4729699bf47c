"""The README's "write your own rule — and test it" example runs green, and breaks when the rule does."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from policycheck.cli import main

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
TESTS = re.search(r"```yaml\n(# policy-tests/ours.yaml\n.*?)```", README, re.DOTALL)
PACK = re.search(r"```yaml\n(apiVersion: policycheck/v1\nkind: PolicyPack\nmetadata: \{name: our-rules.*?)```",
                 README, re.DOTALL)


def run(tmp_path: Path, pack: str) -> str:
    (tmp_path / "ours.yaml").write_text(pack, encoding="utf-8")
    (tmp_path / "tests.yaml").write_text(TESTS.group(1), encoding="utf-8")
    result = CliRunner().invoke(main, ["test", "-p", str(tmp_path / "ours.yaml"), str(tmp_path / "tests.yaml")])
    return f"{result.exit_code}\n{result.output}"


def test_readme_policy_tests_pass(tmp_path):
    assert TESTS and PACK
    output = run(tmp_path, PACK.group(1))
    assert output.startswith("0\n") and "4 passed" in output, output


def test_readme_policy_tests_catch_a_broken_rule(tmp_path):
    broken = PACK.group(1).replace("subset_of: $params.allowed_jurisdictions", "exists: true")
    output = run(tmp_path, broken)
    assert output.startswith("1\n") and "a US replica fails [OUR-LOC-001]" in output, output
