"""docs/ci.md's pipeline snippets: GitLab CI and Azure Pipelines against the schemas check-jsonschema ships,
Jenkins by shape (no offline linter exists), and every policycheck command in them parses."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import click
import pytest
import yaml

from policycheck.cli import main

REPO = Path(__file__).parents[2]
DOC = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
SNIPPET = re.compile(r"^```(?P<lang>\w+) (?P<name>\S+)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)
SNIPPETS = {m["name"]: m["body"] for m in SNIPPET.finditer(DOC)}
needs_check_jsonschema = pytest.mark.skipif(shutil.which("check-jsonschema") is None,
                                            reason="check-jsonschema is not installed")


def test_each_ci_system_has_a_snippet():
    assert set(SNIPPETS) == {".gitlab-ci.yml", "azure-pipelines.yml", "Jenkinsfile", ".pre-commit-config.yaml"}


@needs_check_jsonschema
@pytest.mark.parametrize(("name", "schema"), [(".gitlab-ci.yml", "vendor.gitlab-ci"),
                                              ("azure-pipelines.yml", "vendor.azure-pipelines")])
def test_snippet_is_valid_against_the_ci_schema(tmp_path, name, schema):
    path = tmp_path / name
    path.write_text(SNIPPETS[name], encoding="utf-8")
    assert check(schema, path).returncode == 0, check(schema, path).stdout


@needs_check_jsonschema
def test_the_azure_check_catches_a_mistake(tmp_path):
    path = tmp_path / "azure-pipelines.yml"
    path.write_text(SNIPPETS["azure-pipelines.yml"].replace("displayName: Install policycheck", "displayName: [1]"),
                    encoding="utf-8")
    assert check("vendor.azure-pipelines", path).returncode == 1


def check(schema: str, path: Path) -> subprocess.CompletedProcess:
    # the vendored Azure schema has a pattern only Python's regex engine compiles
    return subprocess.run(["check-jsonschema", "--builtin-schema", schema, "--regex-variant", "python", str(path)],
                          capture_output=True, text=True, timeout=120)


@needs_check_jsonschema
def test_the_gitlab_check_catches_a_mistake(tmp_path):
    path = tmp_path / ".gitlab-ci.yml"
    path.write_text(SNIPPETS[".gitlab-ci.yml"].replace("codequality:", "code_quality:"), encoding="utf-8")
    assert check("vendor.gitlab-ci", path).returncode == 1


def test_gitlab_snippet_publishes_code_quality_and_junit():
    document = yaml.safe_load(SNIPPETS[".gitlab-ci.yml"])
    reports = document["policycheck"]["artifacts"]["reports"]
    assert reports == {"codequality": "gl-code-quality-report.json", "junit": "policycheck.xml"}
    assert document["policycheck"]["image"]["entrypoint"] == [""]  # the image's entrypoint is policycheck


def test_jenkinsfile_shape():
    text = SNIPPETS["Jenkinsfile"]
    assert text.count("{") == text.count("}") and text.startswith("pipeline {")
    assert "junit 'policycheck.xml'" in text


def _commands() -> list[list[str]]:
    found = []
    for name in (".gitlab-ci.yml", "azure-pipelines.yml", "Jenkinsfile"):
        for line in re.findall(r"(policycheck scan -[^\n]*(?:\n\s+--?[^\n]*)*)", SNIPPETS[name]):
            line = " ".join(line.split()).replace("$(Build.ArtifactStagingDirectory)", "out")
            found.append(shlex.split(line.removesuffix("'")))
    return found


@pytest.mark.parametrize("argv", _commands(), ids=lambda argv: " ".join(argv[:4]))
def test_every_documented_command_parses(argv):
    """The flags exist and their values fit click's types (parsed, not run)."""
    command = main.commands[argv[1]]
    with command.make_context(argv[1], argv[2:], parent=click.Context(main, info_name="policycheck")) as context:
        assert context.params["formats"] or context.params["quiet"]
