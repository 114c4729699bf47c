"""Where a resource is declared: the ``.tf`` file and line of its block (``--terraform-dir``).

Parsed with python-hcl2 (the ``terraform`` extra). Module folders come from
``.terraform/modules/modules.json`` (written by ``terraform init``) or, for local modules,
from the module call's ``source``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from policycheck.errors import ConfigError, InputError, PolicycheckError
from policycheck.inputs import DEFAULT_MAX_INPUT_MB, MB, read_bounded
from policycheck.model import SourceLocation

from .config import Configuration
from .document import Instance

log = logging.getLogger(__name__)


class Sources:
    """Declarations of resources in one root module folder and its module folders, read on demand."""

    def __init__(self, root: Path, config: Configuration, *, cap: int = DEFAULT_MAX_INPUT_MB * MB):
        try:
            import hcl2  # noqa: F401  the extra is checked before any plan is read
        except ImportError as exc:
            raise ConfigError("--terraform-dir needs python-hcl2; install it with: pip install "
                              "'policycheck[terraform]'") from exc
        self.root = root
        self.config = config
        self.cap = cap
        self.installed = _installed_modules(root, cap)
        self._folders: dict[str, dict[tuple[str, str, str], SourceLocation]] = {}

    def locate(self, instance: Instance) -> SourceLocation | None:
        folder = self._folder(instance.module_path)
        if folder is None:
            return None
        if folder not in self._folders:
            self._folders[folder] = _declarations(Path(folder), self.cap)
        return self._folders[folder].get((instance.mode, instance.type, instance.name))

    def _folder(self, module_path: str) -> str | None:
        if not module_path:
            return str(self.root)
        key = module_path.replace("module.", "")  # modules.json keys: "crm", "crm.inner"
        if key in self.installed:
            return str((self.root / self.installed[key]).resolve())
        call = self.config.calls.get(module_path) or {}
        source = str(call.get("source") or "")
        parent = module_path.rsplit(".module.", 1)[0] if ".module." in module_path else ""
        base = self._folder(parent)
        if base is None or not source.startswith(("./", "../")):
            return None
        return str((Path(base) / source).resolve())


def _installed_modules(root: Path, cap: int) -> dict[str, str]:
    manifest = root / ".terraform" / "modules" / "modules.json"
    try:
        entries = json.loads(read_bounded(manifest, InputError, cap=cap)).get("Modules") or []
    except (PolicycheckError, ValueError, AttributeError):
        return {}
    return {str(e.get("Key")): str(e.get("Dir")) for e in entries if isinstance(e, dict) and e.get("Key")}


def _declarations(folder: Path, cap: int) -> dict[tuple[str, str, str], SourceLocation]:
    """(mode, type, name) -> file and line of every resource and data block in the folder's .tf files."""
    import hcl2
    from lark import Token, Tree

    found: dict[tuple[str, str, str], SourceLocation] = {}
    for path in sorted(folder.glob("*.tf")):
        try:
            tree = hcl2.parses_to_tree(read_bounded(path, InputError, cap=cap).decode("utf-8"))
        except Exception as exc:  # a file python-hcl2 cannot parse only loses its locations
            log.warning("%s: not parsed (%s); its resources are reported without a line", path, exc)
            continue
        for block in tree.iter_subtrees_topdown():
            if block.data != "block":
                continue
            texts = [_text(child, Token) for child in block.children if isinstance(child, Tree | Token)]
            labels = [label for label in texts if label is not None and label not in ("{", "}")]
            if len(labels) >= 3 and labels[0] in ("resource", "data"):
                mode = "managed" if labels[0] == "resource" else "data"
                found.setdefault((mode, labels[1], labels[2]), SourceLocation(str(path), block.meta.line))
    return found


def _text(node: Any, token_type: type) -> str | None:
    if isinstance(node, token_type):
        return str(node).strip('"')
    if getattr(node, "data", None) == "body":
        return None
    return "".join(str(t) for t in node.scan_values(lambda v: isinstance(v, token_type))).strip('"')
