"""Property tests for the normaliser: versions, dates and day ages, booleans."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policycheck.privacy import Pseudonymiser
from policycheck.providers.devices.normalise import (
    age_days,
    os_family,
    os_name,
    os_version,
    parse_bool,
    parse_country,
    parse_datetime,
    version_key,
)
from policycheck.versions import parse_version

parts = st.lists(st.integers(min_value=0, max_value=99999), min_size=1, max_size=5)
moments = st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2100, 12, 31)).map(
    lambda d: d.replace(microsecond=0, tzinfo=UTC))
days = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 1, 1))


@given(parts)
def test_a_plain_version_is_kept_as_written(numbers):
    text = ".".join(map(str, numbers))
    assert os_version(text) == text


@given(parts, st.sampled_from(["macOS {}", "Ubuntu {} LTS", "Mac OS X {} (23E224)", "v{}", "{} (Jammy Jellyfish)"]))
def test_the_version_inside_a_name_compares_like_the_bare_version(numbers, template):
    text = ".".join(map(str, numbers))
    assert parse_version(os_version(template.format(text))) == parse_version(text)


@given(parts, parts)
def test_versions_order_numerically_not_as_text(a, b):
    left, right = ".".join(map(str, a)), ".".join(map(str, b))

    def strip(t):
        t = list(t)
        while len(t) > 1 and t[-1] == 0:
            t.pop()
        return tuple(t)

    assert (version_key(left) < version_key(right)) == (strip(a) < strip(b))
    assert (parse_version(os_version(left)) < parse_version(os_version(right))) == (strip(a) < strip(b))


def test_windows_names_yield_the_build():
    assert os_version("Windows 11 Pro 23H2 10.0.22631.3296") == "10.0.22631.3296"
    assert os_version("Microsoft Windows 11 Enterprise 10.0.26100") == "10.0.26100"
    assert parse_version(os_version("14.10")) > parse_version(os_version("14.9"))
    with pytest.raises(ValueError, match="no version number"):
        os_version("Sonoma")


@given(days, st.integers(min_value=0, max_value=20000))
def test_age_of_a_date_n_days_back_is_n(as_of, n):
    assert age_days(as_of - timedelta(days=n), as_of) == n


@given(days, st.integers(min_value=1, max_value=20000))
def test_dates_in_the_future_are_age_zero(as_of, n):
    assert age_days(as_of + timedelta(days=n), as_of) == 0


@given(moments, st.integers(min_value=-12, max_value=14))
def test_age_counts_utc_days_whatever_the_offset(moment, hours):
    shifted = moment.astimezone(__import__("datetime").timezone(timedelta(hours=hours)))
    as_of = moment.date() + timedelta(days=3)
    assert age_days(parse_datetime(shifted.isoformat()), as_of) == 3


@given(moments)
def test_iso_us_german_and_epoch_dates_round_trip(moment):
    assert parse_datetime(moment.isoformat()) == moment
    assert parse_datetime(moment.strftime("%Y-%m-%dT%H:%M:%SZ")) == moment
    assert parse_datetime(moment.strftime("%Y-%m-%d %H:%M:%S.0000000")) == moment
    assert parse_datetime(moment.strftime("%m/%d/%Y %I:%M:%S %p")) == moment
    assert parse_datetime(moment.strftime("%d/%m/%Y %H:%M:%S"), date_order="dmy") == moment
    assert parse_datetime(moment.strftime("%d.%m.%Y %H:%M:%S")) == moment
    if moment.year >= 1971:
        assert parse_datetime(int(moment.timestamp())) == moment


@given(st.text(max_size=30))
def test_any_text_is_a_date_or_a_value_error(text):
    try:
        result = parse_datetime(text)
    except ValueError as exc:
        assert str(exc).startswith("bad date")
    else:
        assert result is None or result.tzinfo is not None


def test_vendor_never_dates_and_impossible_dates():
    assert parse_datetime("0001-01-01T00:00:00Z") is None  # Intune: never synced
    for bad in ("31/02/2026", "2026-02-30", "13/13/2026", "yesterday", "12/01/2026 13:00 PM"):
        with pytest.raises(ValueError, match="bad date"):
            parse_datetime(bad)


@given(st.one_of(st.text(max_size=12), st.integers(), st.floats(), st.none()))
def test_bool_parser_accepts_or_raises_value_error(value):
    try:
        assert parse_bool(value) in (True, False)
    except ValueError as exc:
        assert "expected true or false" in str(exc)


# osquery os_version.name/platform, Fleet platform/os_version, Graph operatingSystem, Jamf operatingSystem.name
@pytest.mark.parametrize(("text", "name", "family"), [
    ("darwin", "macOS", "macOS"), ("Mac OS X", "macOS", "macOS"), ("Mac", "macOS", "macOS"),
    ("Microsoft Windows 11 Enterprise", "Windows", "Windows"), ("windows", "Windows", "Windows"),
    ("ubuntu", "Ubuntu", "Linux"), ("Ubuntu 22.04.5 LTS", "Ubuntu", "Linux"), ("Debian GNU/Linux", "Debian", "Linux"),
    ("rhel", "RHEL", "Linux"), ("Red Hat Enterprise Linux", "RHEL", "Linux"),
    ("Fedora Linux 41.0.0", "Fedora", "Linux"),
    ("Linux Mint", "Linux Mint", "Linux"), ("amzn", "Amazon Linux", "Linux"),
    ("iPadOS", "iOS", "iOS"), ("Android", "Android", "Android"), ("chrome", "ChromeOS", "ChromeOS"),
])
def test_os_name_keeps_the_distribution_and_family_groups_it(text, name, family):
    assert os_name(text) == name and os_family(text) == family


@pytest.mark.parametrize("text", ["1", "4", "Haiku", "Unknown", "Gänseblümchen", ""])
def test_os_parsers_refuse_codes_and_unknown_text(text):
    """Defect 1: a bare enum code or unknown text is never passed through as a name, so a fallback can run."""
    for parse in (os_name, os_family):
        with pytest.raises(ValueError):
            parse(text)


def test_a_bare_linux_is_a_family_without_a_distribution():
    assert os_family("Linux") == "Linux"
    with pytest.raises(ValueError, match="not the distribution"):
        os_name("Linux")


def test_countries():
    assert parse_country(" de ") == "DE" and parse_country("UK") == "GB"
    assert parse_country("Deutschland") == "DE" and parse_country("österreich") == "AT"
    for bad in ("Germania", "DEU", "1"):
        with pytest.raises(ValueError):
            parse_country(bad)


@given(st.emails())
def test_pseudonyms_are_fixed_length_hex_and_case_insensitive(email):
    p = Pseudonymiser(b"k" * 32)
    value = p("owner", email)
    assert re.fullmatch(r"owner-[0-9a-f]{16}", value)
    assert p("owner", email.upper()) == value


@given(st.binary(min_size=16, max_size=200), st.sampled_from(["owner", "serial", "host"]), st.text(min_size=1))
def test_pseudonym_is_hmac_sha256_of_kind_and_normalised_value(key, kind, value):
    import hashlib
    import hmac

    expected = hmac.new(key, f"{kind}\x1f{value.strip().casefold()}".encode(), hashlib.sha256).hexdigest()[:16]
    assert Pseudonymiser(key)(kind, value) in (f"{kind}-{expected}", None)
