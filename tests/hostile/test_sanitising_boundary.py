"""Items 2 and 4: hostile characters are cleaned where resources enter the model; every writer survives them.

The names below are what the 0.1.0 attack run used: a lone UTF-16 surrogate (legal in JSON, which
crashed the text, SARIF and Markdown writers), ANSI colour and OSC 8 hyperlink sequences, a CSI
as one C1 byte, a newline that starts a ``::error::`` workflow command in a CI log, and a bidi
override that makes a name read backwards.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from hostile_support import bucket

from policycheck.clean import REPLACEMENT, clean_text
from policycheck.model import CollectionProblem, Resource

HOSTILE = {
    "surrogate": "bucket-\ud800-x",
    "ansi": "bucket-\x1b[31mred\x1b[0m",
    "osc8": "bucket-\x1b]8;;https://evil.example\x07click\x1b]8;;\x07",
    "c1": "bucket-\x9b2J",
    "workflow": "bucket\n::error::forged annotation",
    "bidi": "invoice-\u202egpj.exe",
}
FORMATS = {"json": "r.json", "sarif": "r.sarif", "junit": "r.xml", "markdown": "r.md", "text": "r.txt"}


def hostile_records() -> list[dict]:
    records = []
    for index, text in enumerate(HOSTILE.values()):
        records.append(bucket(index, id=f"arn:aws:s3:::{text}", name=text, tags={"owner": text, text: "x"},
                              attributes={"encryption.at_rest": False, "access.public": False,
                                          "raw.s3.note": text}, unknown={"versioning.enabled": f"denied: {text}"}))
    return records


def unsafe(text: str) -> list[str]:
    """Characters no output may carry from resource data."""
    return [c for c in text if (ord(c) < 32 and c not in "\n\t") or 0x7f <= ord(c) <= 0x9f
            or 0xd800 <= ord(c) <= 0xdfff or 0x202a <= ord(c) <= 0x202e]


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_clean_text_leaves_one_safe_line(text):
    cleaned = clean_text(text)
    assert unsafe(cleaned) == []
    assert "\n" not in cleaned
    cleaned.encode("utf-8")  # a lone surrogate would raise here


def test_resources_are_cleaned_when_they_enter_the_model():
    resource = Resource(type="aws.s3.bucket", id="a\ud800", name="n\x1b[2J", provider="aws",
                        tags={"k\n": "v\x9b"}, attributes={"raw.x": ["\u202ey", {"z": "\x07"}]},
                        fetchers={"g": lambda: {"raw.y": "late\x1b]0;title\x07"}}, group_of=lambda p: "g")
    assert (resource.id, resource.name) == (f"a{REPLACEMENT}", f"n{REPLACEMENT}[2J")
    assert resource.tags == {"k ": f"v{REPLACEMENT}"}
    assert resource.get("raw.x") == [f"{REPLACEMENT}y", {"z": REPLACEMENT}]
    assert resource.get("raw.y") == f"late{REPLACEMENT}]0;title{REPLACEMENT}"  # fetched values too
    assert CollectionProblem("aws", "eu\n- forged", "denied\x1b[0m").scope == "eu - forged"


def test_every_writer_survives_hostile_names(cli, tmp_path, pack, snapshot):
    path = snapshot(hostile_records(), problems=[{"provider": "aws", "scope": "111122223333/eu\n- forged item",
                                                   "message": "AccessDenied\x1b[2J\n::error::x"}])
    result = cli("scan", "-p", pack, "--snapshot", path, *(a for f, p in FORMATS.items() for a in ("-f", f"{f}={p}")))
    assert result.exit_code == 1, result.output
    texts = {name: (tmp_path / file).read_text(encoding="utf-8") for name, file in FORMATS.items()}
    for name, text in texts.items():
        assert unsafe(text) == [], name
        assert not any(line.lstrip("| ").startswith("::") for line in text.splitlines()), name
    json.loads(texts["json"])
    assert json.loads(texts["sarif"])["runs"][0]["results"]
    ET.fromstring(texts["junit"])
    problem_lines = [line for line in texts["markdown"].splitlines() if "forged item" in line]
    assert len(problem_lines) == 1 and problem_lines[0].startswith("- ")  # the newline did not break the list
    assert "https://evil.example" not in texts["markdown"]


def test_hostile_text_does_not_reach_the_terminal(cli, pack, snapshot):
    result = cli("scan", "-p", pack, "--snapshot", snapshot(hostile_records()), "-f", "text")
    assert result.exit_code == 1
    assert unsafe(result.output) == []
    assert not any(line.lstrip("| ").startswith("::error::") for line in result.output.splitlines())


def test_one_failing_output_does_not_stop_the_others(cli, tmp_path, pack, snapshot):
    (tmp_path / "blocked").write_text("a file, so nothing can be written below it", encoding="utf-8")
    result = cli("scan", "-p", pack, "--snapshot", snapshot(hostile_records()), "-f", "sarif=blocked/r.sarif",
                 "-f", "json=r.json", "-f", "markdown=r.md")
    assert result.exit_code == 2, result.output
    assert "blocked/r.sarif: cannot write output" in result.output
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["findings"]
    assert (tmp_path / "r.md").read_text(encoding="utf-8").startswith("## ")


def test_diff_of_hostile_reports_is_clean(cli, tmp_path, pack, snapshot):
    old = tmp_path / "old.json"
    new = tmp_path / "new.json"
    cli("scan", "-p", pack, "--snapshot", snapshot([bucket(99)], name="a.json"), "-f", f"json={old}")
    cli("scan", "-p", pack, "--snapshot", snapshot(hostile_records(), name="b.json"), "-f", f"json={new}")
    document = json.loads(new.read_text(encoding="utf-8"))  # a report edited by hand: raw controls again
    document["findings"][0]["resource"]["name"] = "x\n::error::forged\x1b[31m"
    document["findings"][0]["resource"]["id"] = "y\n::error::forged\x1b[31m"
    document["findings"][0]["message"] = "m\r\n::warning::forged"
    new.write_text(json.dumps(document), encoding="utf-8")
    for fmt in ("text", "markdown", "json"):
        result = cli("diff", old, new, "-f", fmt)
        assert result.exit_code == 1, result.output
        assert unsafe(result.output) == [], fmt
        assert not any(line.startswith("::") for line in result.output.splitlines()), fmt


def test_markdown_does_not_autolink_bare_urls(cli, tmp_path, pack, snapshot):
    name = "see https://evil.example/login and www.evil.example"
    path = snapshot([bucket(1, name=name, attributes={"encryption.at_rest": False, "access.public": False})])
    cli("scan", "-p", pack, "--snapshot", path, "-f", "markdown=r.md")
    text = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "evil.example" in text
    assert "https://" not in text and "www.evil" not in text
