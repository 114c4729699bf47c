"""The malformed-file corpus: every bad policy or waiver file is one line naming file and place, exit 2.

Each file in ``malformed/`` states its expectation on its first line::

    # expect: LINE:COLUMN message fragment      (or '-' instead of LINE:COLUMN: no place)

``policy-*.yaml`` files are validated as policy packs, ``waiver-*.yaml`` files as waiver files
(next to a valid pack). Runs through click's CliRunner here; a subset also runs as a real
subprocess in test_cli_subprocess.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from core_support import MALFORMED_DIR, check_one_line_error, pack_text

CORPUS = sorted(MALFORMED_DIR.glob("*.yaml"))


def validate_args(path: Path, valid_pack: Path) -> list[str]:
    if path.name.startswith("waiver-"):
        return ["validate", "--policy", str(valid_pack), "--waivers", str(path)]
    return ["validate", "--policy", str(path)]


def test_corpus_is_big_enough_and_covers_both_kinds():
    assert len(CORPUS) >= 25
    assert sum(p.name.startswith("policy-") for p in CORPUS) >= 25
    assert sum(p.name.startswith("waiver-") for p in CORPUS) >= 10
    assert all(p.name.startswith(("policy-", "waiver-")) for p in CORPUS)


@pytest.fixture
def valid_pack(write) -> Path:
    return write("valid.yaml", pack_text("[]", name="valid"))


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_malformed_file_is_one_line_with_place_and_exit_2(path, cli, valid_pack):
    result = cli(*validate_args(path, valid_pack))
    check_one_line_error(result.exit_code, result.stdout, result.stderr, path)


def test_python_tag_is_never_executed(cli):
    path = MALFORMED_DIR / "policy-python-object-tag.yaml"
    marker = Path("/tmp/policycheck-pwned")
    marker.unlink(missing_ok=True)
    result = cli("validate", "--policy", path)
    assert result.exit_code == 2
    assert not marker.exists()


@pytest.mark.parametrize("path", [p for p in CORPUS if p.name.startswith("policy-")][:6], ids=lambda p: p.stem)
def test_malformed_pack_also_stops_a_scan_before_collecting(path, cli, estate, fetch_log):
    """scan runs the same loader: exit 2, one line, nothing collected."""
    estate_file = estate({"type": "test.store", "id": "s", "groups": {"encryption": {}}})
    result = cli("scan", "--policy", path, "--coretest-estate", estate_file)
    check_one_line_error(result.exit_code, result.stdout, result.stderr, path)
    assert fetch_log == []


def test_the_valid_pack_used_by_waiver_cases_is_valid(cli, valid_pack):
    result = cli("validate", "--policy", valid_pack)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("ok: 1 pack(s), 0 rule(s)")
