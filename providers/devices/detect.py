"""Open an inventory file, tell which format it is (or check the declared one) and stream its devices."""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator

from policycheck.errors import ConfigError, InputError
from policycheck.registry import did_you_mean

from .formats import FORMATS, InventoryFormat, InventorySource, Item, Sample
from .textio import csv_layout, open_text

log = logging.getLogger(__name__)


def make_sample(text: str, source: InventorySource | None = None) -> Sample:
    sample = Sample(text)
    if sample.syntax == "csv":
        layout = csv_layout(text)
        lines = text.splitlines()[layout.skip_lines:layout.skip_lines + 1]
        header = next(csv.reader(lines, delimiter=layout.delimiter), [])
        sample.header = [h.strip().lstrip("\ufeff") for h in header]
        sample.header_line, sample.delimiter = layout.skip_lines + 1, layout.delimiter
        present = {h.casefold() for h in sample.header}
        if source is not None:  # a mapped column counts as the key it is mapped to, so the file is recognised
            sample.aliases = frozenset(key for key, names in source.columns if any(n.casefold() in present
                                                                                    for n in names))
    return sample


def format_named(name: str) -> InventoryFormat:
    if name not in FORMATS:
        raise ConfigError(f"unknown inventory format '{name}'{did_you_mean(name, FORMATS.names())}; "
                          f"known: {', '.join(FORMATS.names())}")
    return FORMATS.get(name)


def choose_format(sample: Sample, source: InventorySource) -> InventoryFormat:
    """The declared format if the file fits it, else the best-scoring one; InputError when none fits."""
    scores = sorted(((fmt.score(sample), name) for name, fmt in FORMATS.items()), reverse=True)
    best_score, best_name = scores[0]
    if source.format:
        fmt = format_named(source.format)
        if fmt.syntax != sample.syntax or fmt.score(sample) == 0:
            guess = f"; it looks like {FORMATS.get(best_name).title}" if best_score else ""
            raise InputError(f"not a {fmt.title} as declared{guess}", source=source.name)
        return fmt
    if best_score == 0:
        what = "JSON" if sample.syntax == "json" else "CSV"
        raise InputError(f"cannot tell which device inventory this {what} file is; name the format as FORMAT:PATH "
                         f"(formats: {', '.join(FORMATS.names())})", source=source.name)
    log.debug("%s: detected format %s", source.name, best_name)
    return FORMATS.get(best_name)


def check_inventory(source: InventorySource) -> None:
    """Raise InputError now if ``source`` cannot be opened, decoded or recognised (reads only its start)."""
    with open_text(source.path, source.encoding) as (_, text):
        sample = make_sample(text, source)
        choose_format(sample, source).check(sample, source)


def read_inventory(source: InventorySource) -> Iterator[Item]:
    """Devices (and page marks) of one inventory file, read as a stream."""
    with open_text(source.path, source.encoding) as (stream, text):
        sample = make_sample(text, source)
        yield from choose_format(sample, source).read(stream, sample, source)
