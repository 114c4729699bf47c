"""Item 5 (and the read errors of item 9): inputs are checked with stat first and read at most cap + 1 bytes."""

from __future__ import annotations

import json
import os

import pytest
from hostile_support import bucket, run_process

from policycheck.errors import InputError
from policycheck.inputs import read_bounded

SPECIAL = ["/dev/zero", "fifo", "/proc/self/mem"]


@pytest.fixture
def special(tmp_path):
    def path(name: str) -> str:
        if name == "fifo":
            fifo = tmp_path / "input.fifo"
            if not fifo.exists():
                os.mkfifo(fifo)
            return str(fifo)
        return name
    return path


@pytest.mark.parametrize("name", SPECIAL)
@pytest.mark.parametrize("option", ["--policy", "--waivers", "--config", "--snapshot", "--baseline"])
def test_a_special_file_as_input_is_one_line_exit_2(tmp_path, pack, snapshot, special, name, option):
    base = [*(["-p", pack] if option != "--policy" else []), *(["--snapshot", snapshot([bucket(1)])]
                                                             if option != "--snapshot" else [])]
    result = run_process("scan", *base, option, special(name), cwd=tmp_path, timeout=30)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert ("not a regular file" in result.stderr) or ("Input/output error" in result.stderr)


@pytest.mark.parametrize("name", SPECIAL)
def test_diff_refuses_special_files(tmp_path, special, name):
    result = run_process("diff", special(name), special(name), cwd=tmp_path, timeout=30)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "internal error" not in result.stderr


def test_the_snapshot_cap_is_enforced_and_can_be_raised(cli, tmp_path, pack, snapshot):
    path = snapshot([bucket(i, name="n" * 2000) for i in range(700)])  # ~1.4 MB
    refused = cli("scan", "-p", pack, "--snapshot", path, "--max-input-mb", "1")
    assert refused.exit_code == 2
    assert "larger than 1 MB; raise the limit with --max-input-mb" in refused.output
    assert cli("scan", "-p", pack, "--snapshot", path, "--max-input-mb", "2", "-f", "json=r.json").exit_code == 1
    baseline = cli("scan", "-p", pack, "--snapshot", snapshot([bucket(1)], name="s.json"), "--baseline", "r.json",
                   "--max-input-mb", "1")
    assert baseline.exit_code == 2 and "r.json: report file is larger than 1 MB" in baseline.output
    assert cli("diff", "r.json", "r.json", "--max-input-mb", "1").exit_code == 2
    assert cli("diff", "r.json", "r.json", "--max-input-mb", "8").exit_code == 0


def test_the_cap_is_a_setting_of_the_config_file_and_environment(cli, tmp_path, pack, snapshot, monkeypatch):
    path = snapshot([bucket(i, name="n" * 2000) for i in range(700)])
    (tmp_path / "policycheck.yaml").write_text("max_input_mb: 1\n", encoding="utf-8")
    assert "larger than 1 MB" in cli("scan", "-p", pack, "--snapshot", path).output
    monkeypatch.setenv("POLICYCHECK_MAX_INPUT_MB", "3")
    assert cli("scan", "-p", pack, "--snapshot", path, "-f", "json=r.json").exit_code == 1


def test_read_bounded_reads_no_more_than_the_cap(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"x" * 11)
    assert read_bounded(path, InputError, cap=11) == b"x" * 11
    with pytest.raises(InputError, match="larger than 10 bytes"):
        read_bounded(path, InputError, cap=10)


def test_an_alias_bomb_in_param_is_refused(cli, pack, snapshot):
    bomb = "[" + ", ".join(["&a [x,x,x,x,x,x,x,x,x]"] + [f"&{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9)
                                                         + "]" for i in range(6)]) + "]"
    result = cli("scan", "-p", pack, "--snapshot", snapshot([bucket(1)]), "--param", f"allowed={bomb}")
    assert result.exit_code == 2
    assert "more than 200000 nodes" in result.output


def test_a_control_character_in_yaml_is_an_input_error(cli, tmp_path, snapshot):
    policy = tmp_path / "ctl.yaml"
    policy.write_text('apiVersion: policycheck/v1\nkind: PolicyPack\nmetadata: {name: "x\x01"}\n', encoding="utf-8")
    result = cli("validate", policy)
    assert result.exit_code == 2
    assert result.output.strip() == f"policycheck: error: {policy}:3:20: character U+0001 is not allowed in YAML " \
                                    "(a control character?)"


def test_a_diff_input_with_wrong_typed_fields_is_an_input_error(cli, tmp_path, pack, snapshot):
    cli("scan", "-p", pack, "--snapshot", snapshot([bucket(1)]), "-f", "json=r.json")
    document = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    for place, value in (("summary", {"resources_by_type": {"aws.s3.bucket": "many"}}),
                         ("summary", {"passes_omitted": [1]}), ("packs", [{"params": [1, 2]}]),
                         ("rules", [{"id": "R", "severity": "low", "line": "x"}])):
        broken = {**document, place: value}
        (tmp_path / "bad.json").write_text(json.dumps(broken), encoding="utf-8")
        result = cli("diff", "r.json", "bad.json")
        assert result.exit_code == 2, (place, result.output)
        assert "internal error" not in result.output and "bad.json" in result.output
