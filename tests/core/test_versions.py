"""Numeric version comparison (os.version): 14.10 > 14.9, trailing zeros do not matter."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policycheck.versions import parse_version


@pytest.mark.parametrize(("text", "parsed"), [
    ("14.2.1", (14, 2, 1)),
    ("14.10", (14, 10)),
    ("14.0", (14,)),
    ("14.0.0", (14,)),
    ("10.0.19045", (10, 0, 19045)),
    ("macOS 14.2.1 (23C71)", (14, 2, 1)),
    ("Windows 11 Pro 23H2", (11,)),
    ("v1.2", (1, 2)),
    (14, (14,)),
    ("0", (0,)),
    ("latest", None),
    ("", None),
    (None, None),
    (True, None),
    ([14], None),
])
def test_parse_version(text, parsed):
    assert parse_version(text) == parsed


_PARTS = st.lists(st.integers(min_value=0, max_value=99999), min_size=1, max_size=5)


def _text(parts: list[int]) -> str:
    return ".".join(map(str, parts))


def _normal(parts: list[int]) -> tuple[int, ...]:
    parts = list(parts)
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


@given(_PARTS, _PARTS)
def test_version_order_is_numeric_tuple_order(a, b):
    left, right = parse_version(_text(a)), parse_version(_text(b))
    assert (left < right) == (_normal(a) < _normal(b))
    assert (left == right) == (_normal(a) == _normal(b))


@given(_PARTS, st.integers(min_value=1, max_value=3))
def test_trailing_zeros_do_not_change_a_version(parts, zeros):
    assert parse_version(_text(parts + [0] * zeros)) == parse_version(_text(parts))


@given(_PARTS, st.text(alphabet="abcdefghij ()", max_size=8))
def test_a_prefix_word_and_suffix_are_ignored(parts, noise):
    assert parse_version(f"OS {_text(parts)} {noise}") == parse_version(_text(parts))


@given(_PARTS, _PARTS)
def test_version_operators_are_complementary(a, b):
    from policycheck.operators import OPERATORS

    gte, lt = OPERATORS["version_gte"].func, OPERATORS["version_lt"].func
    assert gte(_text(a), _text(b)) is (not lt(_text(a), _text(b)))
