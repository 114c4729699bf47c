"""Documentation rendered from the registries and packs: rules and attribute schemas."""

from __future__ import annotations

import json

from .attributes import RESOURCE_FIELDS, RESOURCE_TYPES, ResourceType
from .policy import PolicyPack
from .report import reference_key
from .reporters import renderer_of, renders

__all__ = ["render_attributes", "render_rules"]


def render_rules(packs: list[PolicyPack], fmt: str) -> str:
    """The rules of ``packs`` with their legal references, in a format registered for rules."""
    return renderer_of("rules", fmt).renderers["rules"](packs, False)


@renders("rules", "text")
def _rules_text(packs: list[PolicyPack], colour: bool = False) -> str:
    lines = []
    for pack in packs:
        lines.append(f"{pack.name} {pack.version} ({len(pack.rules)} rules) — {pack.source}")
        for rule in pack.rules:
            lines.append(f"  {rule.id:<16} {rule.severity.label:<8} {rule.title}")
            lines.append(f"  {'':<16} {'':<8} {', '.join(rule.references) or '(no reference)'}")
    return "\n".join(lines) + "\n"


@renders("rules", "markdown")
def _rules_markdown(packs: list[PolicyPack], colour: bool = False) -> str:
    out = []
    for pack in packs:
        out += [f"# {pack.name} {pack.version}", ""]
        if pack.description:
            out += [pack.description.strip(), ""]
        out += ["| Rule | Severity | Title | References |", "|---|---|---|---|"]
        out += [f"| [{r.id}](#{r.id.lower()}) | {r.severity.label} | {_cell(r.title)} | "
                f"{_cell(', '.join(r.references))} |" for r in pack.rules]
        out.append("")
        out += _articles_markdown(pack)
        for rule in pack.rules:
            out += [f"## {rule.id}", "", f"**{rule.title}** — severity `{rule.severity.label}`", ""]
            if rule.description:
                out += [rule.description.strip(), ""]
            out += [f"- Applies to: {', '.join(f'`{t}`' for t in rule.resource_types)}"]
            if rule.when:
                out.append(f"- Scope: `{rule.when.describe()}`")
            out += [f"- Requires: `{rule.require.describe()}`",
                    f"- References: {', '.join(rule.references) or '—'}",
                    f"- Remediation: {rule.remediation.strip() or '—'}", ""]
        if pack.params:
            out += ["## Parameters", "", "| Param | Value |", "|---|---|"]
            out += [f"| `{k}` | `{_cell(json.dumps(v))}` |" for k, v in pack.params.items()]
            out.append("")
        if pack.out_of_scope:
            out += ["## Out of scope", "", "Duties no infrastructure check can see:", ""]
            out += [f"- {d['duty']} ({', '.join(d.get('references', []))})"
                    + (f": {d['reason']}" if d.get("reason") else "") for d in pack.out_of_scope]
            out.append("")
    return "\n".join(out)


def _articles_markdown(pack: PolicyPack) -> list[str]:
    """Legal reference -> the rules that check it: what an auditor looks up first."""
    rules_of: dict[str, list[str]] = {}
    for rule in pack.rules:
        for reference in rule.references:
            rules_of.setdefault(reference, []).append(rule.id)
    if not rules_of:
        return []
    out = ["## Articles", "", "| Reference | Rules |", "|---|---|"]
    out += [f"| {_cell(reference)} | {', '.join(f'[{i}](#{i.lower()})' for i in rules_of[reference])} |"
            for reference in sorted(rules_of, key=reference_key)]
    return [*out, ""]


@renders("rules", "json")
def _rules_json(packs: list[PolicyPack], colour: bool = False) -> str:
    return json.dumps([{
        "pack": p.name, "version": p.version,
        "rules": [{"id": r.id, "title": r.title, "severity": r.severity.label, "resource_types": list(r.resource_types),
                   "references": list(r.references), "remediation": r.remediation} for r in p.rules],
    } for p in packs], indent=2) + "\n"


def render_attributes(type_name: str | None, fmt: str) -> str:
    """The attribute schema of one resource type (every type when None), in a format registered for attributes."""
    names = [type_name] if type_name else RESOURCE_TYPES.names()
    return renderer_of("attributes", fmt).renderers["attributes"]([RESOURCE_TYPES.get(n) for n in names], False)


@renders("attributes", "json")
def _attributes_json(types: list[ResourceType], colour: bool = False) -> str:
    return json.dumps({t.name: {"kind": t.kind, "provider": t.provider, "attributes": [
        {"name": a.name, "type": a.type, "group": a.group, "description": a.description,
         **({"enum": list(a.enum)} if a.enum else {})} for a in t.attributes]} for t in types}, indent=2) + "\n"


@renders("attributes", "markdown")
def _attributes_markdown(types: list[ResourceType], colour: bool = False) -> str:
    out = []
    for t in types:
        out += [f"## `{t.name}` ({t.kind}, provider {t.provider})", "", t.description, "",
                "| Attribute | Type | Group | Description |", "|---|---|---|---|"]
        out += [f"| `{a.name}` | {a.type} | {a.group} | {_cell(a.description)} |" for a in t.attributes]
        out += ["| `tags.<key>` | string | tags | Tag or label value |",
                "| `raw.<...>` | any | raw | Provider-specific raw values |", ""]
    return _with_common_fields(out)


@renders("attributes", "text")
def _attributes_text(types: list[ResourceType], colour: bool = False) -> str:
    out = []
    for t in types:
        out += [f"{t.name} ({t.kind}, provider {t.provider}): {t.description}"]
        out += [f"  {a.name:<34} {a.type:<8} [{a.group}] {a.description}" for a in t.attributes]
        out += [f"  {'tags.<key>':<34} {'string':<8} [tags] tag or label value", ""]
    return _with_common_fields(out)


def _with_common_fields(lines: list[str]) -> str:
    common = ", ".join(f.name for f in RESOURCE_FIELDS)
    return "\n".join([*lines, f"Every resource also has: {common}."]) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
