"""Turn the values vendors report into the device vocabulary's types.

Every parser takes what a file holds and returns the normalised value, or raises
``ValueError`` with a short phrase that describes the bad value without quoting it (``bad date
(text of 10 characters)``). The phrases end up in findings, and a shifted row puts e-mail
addresses and serial numbers into any column: the reason names the file, line and column
(:func:`describe`), never the cell's content.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

# ---------------------------------------------------------------- booleans

_TRUE = frozenset(["true", "yes", "y", "1", "on", "enabled", "enable", "encrypted", "protected", "active", "good",
                   "ja", "wahr", "oui", "vrai", "si", "sí", "sì", "aktiviert", "verschlüsselt", "activé"])
_FALSE = frozenset(["false", "no", "n", "0", "off", "disabled", "disable", "unencrypted", "notencrypted",
                    "not_encrypted", "unprotected", "inactive", "poor", "nein", "falsch", "non", "faux", "deaktiviert",
                    "désactivé"])


_COMMON_BOOLS = {"true": True, "false": False, "True": True, "False": False, "TRUE": True, "FALSE": False,
                 "yes": True, "no": False, "Yes": True, "No": False, "1": True, "0": False}


def parse_bool(value: Any) -> bool:
    """true/false, yes/no, 1/0, on/off and their German, French, Spanish forms."""
    if value.__class__ is str and value in _COMMON_BOOLS:
        return _COMMON_BOOLS[value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().casefold().replace(" ", "")
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValueError(f"unknown value {_show(value)} (expected true or false)")


def enum(table: Mapping[str, Any], what: str) -> Callable[[Any], Any]:
    """A parser mapping the (case-insensitive) keys of ``table`` to its values; anything else is an error."""
    folded = {str(k).casefold(): v for k, v in table.items()}

    def parse(value: Any) -> Any:
        key = str(value).strip().casefold()
        if key in folded:
            return folded[key]
        raise ValueError(f"unknown {what} {_show(value)}")

    return parse


# ---------------------------------------------------------------- numbers

def parse_minutes(value: Any) -> float:
    """Minutes as a non-negative number (``5``, ``"2.5"``)."""
    number = parse_number(value)
    if number < 0:
        raise ValueError(f"negative minutes {_show(value)}")
    return number


def parse_number(value: Any) -> float | int:
    if isinstance(value, bool):
        raise ValueError(f"not a number {_show(value)}")
    if isinstance(value, int | float):
        return value
    text = str(value).strip().replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"not a number {_show(value)}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"not a number {_show(value)}")
    return int(number) if number.is_integer() else number


# ---------------------------------------------------------------- dates

#: Vendors' "never" (Intune: 0001-01-01T00:00:00Z, Windows: 1601-01-01).
_NO_DATE_BEFORE = 1900

_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*([AaPp][Mm])?)?$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_CALENDAR_TIME = "%a %b %d %H:%M:%S %Y %Z"  # osquery's calendarTime: "Tue Sep 30 17:37:30 2014 UTC"


def parse_datetime(value: Any, *, date_order: str = "mdy") -> datetime | None:
    """A moment in UTC from ISO 8601, epoch seconds, ``M/D/YYYY h:mm AM`` (or ``D/M`` with
    ``date_order="dmy"``), ``D.M.YYYY`` or osquery's calendar time. None for a vendor's "never"."""
    if isinstance(value, bool):
        raise ValueError(f"bad date {_show(value)}")
    if isinstance(value, int | float):
        return _epoch(value)
    text = str(value).strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = _other_formats(text, date_order)
    if moment.year < _NO_DATE_BEFORE:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _epoch(value: float) -> datetime | None:
    if value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"bad date {_show(value)}") from None


def _other_formats(text: str, date_order: str) -> datetime:
    try:
        if text.isdigit() and len(text) >= 9:
            moment = _epoch(int(text))
            if moment is not None:
                return moment
        if match := _US.match(text):
            first, second, year, hour, minute, sec, ampm = match.groups()
            month, day = (first, second) if date_order == "mdy" else (second, first)
            return _build(year, month, day, hour, minute, sec, ampm)
        if match := _DOTTED.match(text):
            day, month, year, hour, minute, sec = match.groups()
            return _build(year, month, day, hour, minute, sec, None)
        if text[:3].isalpha():
            return datetime.strptime(text, _CALENDAR_TIME)
    except ValueError:
        pass
    raise ValueError(f"bad date {_show(text)}")


def _build(year: str, month: str, day: str, hour: str | None, minute: str | None, sec: str | None,
           ampm: str | None) -> datetime:
    h = int(hour or 0)
    if ampm:
        if not 1 <= h <= 12:
            raise ValueError("bad hour")
        h = h % 12 + (12 if ampm.lower() == "pm" else 0)
    return datetime(int(year), int(month), int(day), h, int(minute or 0), int(sec or 0))


def age_days(moment: datetime | date, as_of: date) -> int:
    """Whole days from ``moment`` (a UTC datetime or a date) to ``as_of``; 0 for the future (clock skew)."""
    day = moment.astimezone(UTC).date() if isinstance(moment, datetime) else moment
    return max(0, (as_of - day).days)


def days_before(as_of: date, days: int) -> date:
    return as_of - timedelta(days=days)


# ---------------------------------------------------------------- operating systems

#: (pattern, name, family), first match wins. A Linux distribution is its own name (versions compare only within
#: one distribution); the last row knows the family alone. Anything else (a bare enum code such as Intune's "1",
#: "Unknown", free text) is refused, so a fallback (a localised twin column) can run or the value stays unknown.
_SYSTEMS = tuple((re.compile(pattern, re.I), name, family) for pattern, name, family in (
    (r"\b(mac\s?os|os\s?x|darwin|macintosh)\b|^mac$", "macOS", "macOS"),
    (r"\bwindows|^win(10|11|32|64)?$", "Windows", "Windows"),
    (r"\b(ios|ipados|iphone|ipad)\b", "iOS", "iOS"),
    (r"\bandroid", "Android", "Android"),
    (r"\b(chrome\s?os|cros)\b|^chrome$", "ChromeOS", "ChromeOS"),
    (r"\b(ubuntu|kubuntu|xubuntu|lubuntu)\b", "Ubuntu", "Linux"),
    (r"\bdebian\b", "Debian", "Linux"),
    (r"\bfedora\b", "Fedora", "Linux"),
    (r"\b(rhel|red\s?hat)\b", "RHEL", "Linux"),
    (r"\bcentos\b", "CentOS", "Linux"),
    (r"\brocky\b", "Rocky Linux", "Linux"),
    (r"\balma(linux)?\b", "AlmaLinux", "Linux"),
    (r"\b(sles|sled|suse linux enterprise)\b", "SLES", "Linux"),
    (r"\bopensuse", "openSUSE", "Linux"),
    (r"\blinux\s?mint\b|^mint$", "Linux Mint", "Linux"),
    (r"\bpop!?_?os\b|^pop$", "Pop!_OS", "Linux"),
    (r"\barch(\s?linux)?\b", "Arch Linux", "Linux"),
    (r"\bmanjaro\b", "Manjaro", "Linux"),
    (r"\bkali\b", "Kali Linux", "Linux"),
    (r"\bgentoo\b", "Gentoo", "Linux"),
    (r"\b(amzn|amazon\s?linux)\b", "Amazon Linux", "Linux"),
    (r"\bnixos\b", "NixOS", "Linux"),
    (r"\blinux\b|^gnu", None, "Linux"),
))

#: The operating-system families (``os.family``).
OS_FAMILIES = ("Linux", "macOS", "Windows", "iOS", "Android", "ChromeOS")


@lru_cache(maxsize=4096)
def _system(value: Any) -> tuple[str | None, str]:
    text = str(value).strip()
    if not text:
        raise ValueError("empty operating system")
    for pattern, name, family in _SYSTEMS:
        if pattern.search(text):
            return name, family
    raise ValueError(f"unknown operating system {_show(value)}")


def os_name(value: Any) -> str:
    """macOS, Windows, iOS, Android, ChromeOS, or the Linux distribution (Ubuntu, Debian, Fedora, RHEL, ...).

    ValueError for anything else, and for a bare "Linux": which distribution it is stays unknown."""
    name, family = _system(value)
    if name is None:
        raise ValueError(f"{_show(value)} names the OS family {family}, not the distribution")
    return name


def os_family(value: Any) -> str:
    """Linux, macOS, Windows, iOS, Android or ChromeOS; ValueError for anything else."""
    return _system(value)[1]


_DOTTED_VERSION = re.compile(r"(?<![\d.])\d+(?:\.\d+)+")
_NUMBER = re.compile(r"(?<![\d.])\d+(?![\d.])")


@lru_cache(maxsize=4096)
def os_version(value: Any) -> str:
    """The version number inside what a vendor reports, kept as written.

    ``"14.4.1"`` stays; ``"macOS 14.4.1"`` -> ``"14.4.1"``; ``"Windows 11 Pro 23H2 10.0.22631.3296"`` ->
    ``"10.0.22631.3296"`` (the build, which is what Intune and osquery report for Windows);
    ``"Ubuntu 22.04.4 LTS"`` -> ``"22.04.4"``; ``"macOS 14"`` -> ``"14"``.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    text = str(value).strip()
    dotted = _DOTTED_VERSION.findall(text)
    if dotted:
        windows_build = [v for v in dotted if v.startswith("10.0.")]
        return (windows_build or dotted)[0]
    number = _NUMBER.search(text)
    if number:
        return number.group()
    raise ValueError(f"no version number in {_show(value)}")


def version_key(text: str) -> tuple[int, ...]:
    """Numeric sort key of a version string (for tests and for picking the newest report)."""
    parts = [int(p) for p in text.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


# ---------------------------------------------------------------- countries

_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
#: Country names HR exports write instead of codes (German and English), EU/EEA and the usual neighbours.
_COUNTRY_NAMES = {name.casefold(): code for code, names in {
    "DE": ("Deutschland", "Germany"), "AT": ("Österreich", "Austria"), "CH": ("Schweiz", "Switzerland"),
    "FR": ("Frankreich", "France"), "IT": ("Italien", "Italy"), "ES": ("Spanien", "Spain"),
    "PT": ("Portugal",), "NL": ("Niederlande", "Netherlands"), "BE": ("Belgien", "Belgium"),
    "LU": ("Luxemburg", "Luxembourg"), "DK": ("Dänemark", "Denmark"), "SE": ("Schweden", "Sweden"),
    "FI": ("Finnland", "Finland"), "IE": ("Irland", "Ireland"), "PL": ("Polen", "Poland"),
    "CZ": ("Tschechien", "Czechia", "Czech Republic"), "SK": ("Slowakei", "Slovakia"),
    "SI": ("Slowenien", "Slovenia"), "HR": ("Kroatien", "Croatia"), "HU": ("Ungarn", "Hungary"),
    "RO": ("Rumänien", "Romania"), "BG": ("Bulgarien", "Bulgaria"), "GR": ("Griechenland", "Greece"),
    "CY": ("Zypern", "Cyprus"), "MT": ("Malta",), "EE": ("Estland", "Estonia"), "LV": ("Lettland", "Latvia"),
    "LT": ("Litauen", "Lithuania"), "NO": ("Norwegen", "Norway"), "IS": ("Island", "Iceland"),
    "LI": ("Liechtenstein",), "GB": ("Großbritannien", "Vereinigtes Königreich", "United Kingdom"),
    "US": ("USA", "Vereinigte Staaten", "United States"), "TR": ("Türkei", "Turkey", "Türkiye"),
    "IL": ("Israel",), "IN": ("Indien", "India"),
}.items() for name in names}


@lru_cache(maxsize=1024)
def parse_country(value: Any) -> str:
    """ISO 3166 alpha-2 code, upper case (``de`` -> ``DE``); ``UK`` is read as ``GB``; a few German and
    English country names (``Deutschland``) are read as their code."""
    text = str(value).strip()
    named = _COUNTRY_NAMES.get(text.casefold())
    if named:
        return named
    if not _COUNTRY.match(text):
        raise ValueError(f"not an ISO country code {_show(value)}")
    code = text.upper()
    return "GB" if code == "UK" else code


def describe(value: Any) -> str:
    """What a bad value looks like, without its content (which may be an e-mail address or a serial)."""
    if isinstance(value, str):
        return f"(text of {len(value)} character{'s' * (len(value) != 1)})"
    return f"(a {_KINDS.get(type(value), 'value')})"


_KINDS = {bool: "true/false value", int: "number", float: "number", list: "list", dict: "object"}
_show = describe
