"""Which columns of an HR export hold what the staff register needs: recognised names, or the user's mapping.

Keys: ``upn``, ``email``, ``username`` (the person's identifiers; every one present is indexed) and
``home_office_agreement``, ``confidentiality``, ``training``, ``home_country``. A key may name several
columns. Out of the box a header is recognised after normalising it: case and umlauts folded
(``ä`` -> ``ae``), punctuation and spaces turned into ``_``, and trailing date words dropped
(``_on``, ``_at``, ``_date``, ``_signed``, ``datum``, ``am``, ...), so ``Home office agreement signed on``,
``confidentiality_date`` and ``Datenschutzschulung am`` all match. ``FORMAT.md`` lists the names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from policycheck.errors import ConfigError
from policycheck.registry import did_you_mean

from .textio import Header

IDENTIFIERS = ("upn", "email", "username")
FACTS = ("home_office_agreement", "confidentiality", "training", "home_country")
KEYS = IDENTIFIERS + FACTS

#: Recognised header names per key, normalised (see :func:`normalise_header`).
RECOGNISED: dict[str, tuple[str, ...]] = {
    "upn": ("user_principal_name", "userprincipalname", "upn", "benutzerprinzipalname"),
    "email": ("email", "e_mail", "mail", "email_address", "e_mail_address", "e_mail_adresse", "emailadresse",
              "mail_address", "mailadresse"),
    "username": ("username", "user_name", "login", "sam_account_name", "samaccountname", "benutzername",
                 "anmeldename", "personalnummer"),
    "home_office_agreement": ("home_office_agreement", "home_office", "homeoffice_agreement", "homeoffice_vereinbarung",
                              "home_office_vereinbarung", "telearbeitsvereinbarung", "telearbeit_vereinbarung",
                              "homeoffice_telearbeitsvereinbarung", "vereinbarung_homeoffice",
                              "vereinbarung_telearbeit"),
    "confidentiality": ("confidentiality", "confidentiality_statement", "confidentiality_agreement",
                        "vertraulichkeitserklaerung", "verpflichtung_auf_das_datengeheimnis",
                        "verpflichtung_datengeheimnis", "datengeheimnis", "verpflichtung_auf_datengeheimnis"),
    "training": ("last_training", "training", "data_protection_training", "last_data_protection_training",
                 "datenschutzschulung", "unterweisung", "datenschutzunterweisung", "letzte_datenschutzschulung",
                 "letzte_schulung", "letzte_unterweisung", "schulung_datenschutz"),
    "home_country": ("home_country", "country", "work_country", "land", "arbeitsland", "wohnland"),
}
_DATE_WORDS = frozenset(("on", "at", "date", "signed", "completed", "datum", "am", "vom", "unterzeichnet",
                         "unterschrieben", "abgeschlossen", "erteilt"))
_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_NON_WORD = re.compile(r"[^a-z0-9]+")


def normalise_header(name: str) -> str:
    """``'Vertraulichkeitserklärung unterschrieben am'`` -> ``'vertraulichkeitserklaerung'``."""
    words = [w for w in _NON_WORD.split(name.casefold().translate(_FOLD)) if w]
    while len(words) > 1 and words[-1] in _DATE_WORDS:
        words.pop()
    return "_".join(words)


_BY_NAME = {name: key for key, names in RECOGNISED.items() for name in names}


def parse_mapping(config: Any, flags: Sequence[str] | None, where: str, flag: str, keys: Sequence[str]
                  ) -> dict[str, tuple[str, ...]]:
    """A column mapping from config (``{key: column or [columns]}``) and flags (``KEY=COLUMN``, repeatable;
    a key given by flags replaces the config's). ConfigError for an unknown key or a malformed entry."""
    mapping: dict[str, list[str]] = {}
    if config:
        if not isinstance(config, Mapping):
            raise ConfigError(f"{where}: expected a mapping of key to column name(s)")
        for key, value in config.items():
            columns = [value] if isinstance(value, str) else value
            if not isinstance(columns, list) or not columns or not all(isinstance(c, str) and c for c in columns):
                raise ConfigError(f"{where}.{key}: expected a column name or a list of column names")
            mapping[_key(str(key), keys, where)] = list(columns)
    from_flags: dict[str, list[str]] = {}
    for item in flags or ():
        key, sep, column = str(item).partition("=")
        if not sep or not key.strip() or not column.strip():
            raise ConfigError(f"{flag}: expected KEY=COLUMN, got '{item}'")
        from_flags.setdefault(_key(key.strip(), keys, flag), []).append(column.strip())
    mapping.update(from_flags)
    return {key: tuple(columns) for key, columns in mapping.items()}


def _key(key: str, keys: Sequence[str], where: str) -> str:
    if key not in keys:
        raise ConfigError(f"{where}: unknown key '{key}'{did_you_mean(key, list(keys))}; keys: {', '.join(keys)}")
    return key


def locate(header: Header, mapping: Mapping[str, tuple[str, ...]]) -> dict[str, list[tuple[int, str]]]:
    """Key -> [(position, column name)]: the mapped columns (each must exist), else the recognised ones."""
    found: dict[str, list[tuple[int, str]]] = {key: [] for key in KEYS}
    for key, columns in mapping.items():
        for column in columns:
            index = header.require(column, f"mapped to '{key}' by the register column mapping")
            found[key].append((index, header.names[index]))
    for index, name in enumerate(header.names):
        recognised = _BY_NAME.get(normalise_header(name))
        if recognised and recognised not in mapping:
            header.position(name)  # a recognised name the header holds twice is refused
            found[recognised].append((index, name))
    return found
