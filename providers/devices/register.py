"""The staff register (an HR export): who signed what, when they were trained, where they work from.

A CSV keyed by user principal name or e-mail, with optional columns for a local user name, the
home-office agreement date, the confidentiality statement date, the last data-protection training
date and the home country. It is small (one row per person) and is read whole. Each person's
facts become device attributes; a bad cell makes only the attributes it feeds unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from policycheck.errors import InputError
from policycheck.regions import jurisdiction_of_country

from .columns import blank
from .normalise import age_days, parse_bool, parse_country, parse_datetime
from .textio import BadRow, CsvRows, label_of, open_text

KEY_COLUMNS = ("user_principal_name", "userPrincipalName", "upn", "email", "e-mail", "mail", "E-Mail-Adresse")
USER_COLUMNS = ("username", "user_name", "login", "sam_account_name", "samAccountName")
HOME_OFFICE = ("home_office_agreement_signed", "home_office_agreement", "home_office_signed")
CONFIDENTIALITY = ("confidentiality_signed", "confidentiality_statement_signed", "confidentiality_statement")
TRAINING = ("last_training", "last_training_date", "data_protection_training", "training_date")
COUNTRY = ("home_country", "country", "work_country")

#: The device attributes the register supplies.
REGISTER_ATTRIBUTES = ("agreements.home_office", "agreements.confidentiality", "training.age_days",
                       "location.country", "location.jurisdiction")


@dataclass
class Person:
    """One row of the register: device attributes it supplies, and those it could not."""

    line: int
    values: dict[str, Any] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


class StaffRegister:
    """People by user principal name / e-mail (and local user name), case-insensitive."""

    def __init__(self, people: dict[str, Person], aliases: dict[str, str], name: str):
        self._people = people
        self._aliases = aliases
        self.name = name

    def __len__(self) -> int:
        return len(self._people)

    def find(self, owner: str | None, aliases: tuple[str, ...] = ()) -> Person | None:
        for candidate in (owner, *aliases):
            if not candidate:
                continue
            key = candidate.strip().casefold()
            if key in self._people:
                return self._people[key]
            if key in self._aliases:
                return self._people[self._aliases[key]]
        return None

    @classmethod
    def load(cls, path: Path, as_of: date, *, encoding: str | None = None, date_order: str = "mdy") -> StaffRegister:
        name = label_of(path)
        people: dict[str, Person] = {}
        aliases: dict[str, str] = {}
        with open_text(path, encoding) as (stream, sample):
            if sample.lstrip()[:1] in ("[", "{"):
                raise InputError("the staff register must be a CSV file (it looks like JSON)", source=name)
            rows = CsvRows(stream, sample, name)
            key_at = rows.index(*KEY_COLUMNS)
            if key_at is None:
                raise InputError(f"not a staff register: no user column ({', '.join(KEY_COLUMNS[:4])})",
                                 source=name, place=f"line {rows.header_line}")
            reader = _RowReader(rows, name, as_of, date_order)
            user_at = rows.index(*USER_COLUMNS)
            for line, row in rows:
                if isinstance(row, BadRow):
                    raise InputError(row.problem, source=name, place=f"line {line}")
                key = row[key_at].strip().casefold() if key_at < len(row) else ""
                if not key:
                    continue  # a person without an address cannot own a device record
                person = reader.person(line, row)
                if key in people:
                    person = _conflict(name, people[key].line, line)
                people[key] = person
                if user_at is not None and user_at < len(row) and row[user_at].strip():
                    aliases.setdefault(row[user_at].strip().casefold(), key)
        return cls(people, aliases, name)


def _conflict(name: str, first: int, second: int) -> Person:
    reason = f"{name} lines {first} and {second} both list this person"
    return Person(second, {}, {attr: reason for attr in REGISTER_ATTRIBUTES})


class _RowReader:
    def __init__(self, rows: CsvRows, name: str, as_of: date, date_order: str):
        self.name, self.as_of, self.date_order = name, as_of, date_order
        self.home_office = rows.index(*HOME_OFFICE), HOME_OFFICE[0]
        self.confidentiality = rows.index(*CONFIDENTIALITY), CONFIDENTIALITY[0]
        self.training = rows.index(*TRAINING), TRAINING[0]
        self.country = rows.index(*COUNTRY), COUNTRY[0]
        self.header = rows.header

    def person(self, line: int, row: list[str]) -> Person:
        person = Person(line)
        self._signed(person, row, "agreements.home_office", self.home_office)
        self._signed(person, row, "agreements.confidentiality", self.confidentiality)
        self._training(person, row)
        self._country(person, row)
        return person

    def _cell(self, person: Person, row: list[str], attrs: tuple[str, ...], where: tuple[int | None, str]
              ) -> tuple[str, str] | None:
        index, wanted = where
        if index is None:
            for attr in attrs:
                person.problems[attr] = f"{self.name}: the register has no '{wanted}' column"
            return None
        column = self.header[index]
        if index >= len(row):
            for attr in attrs:
                person.problems[attr] = f"{self.name} line {person.line}: missing column '{column}' (short row)"
            return None
        return row[index].strip(), column

    def _date(self, person: Person, attrs: tuple[str, ...], text: str, column: str) -> date | None:
        try:
            moment = parse_datetime(text, date_order=self.date_order)
        except ValueError as exc:
            for attr in attrs:
                person.problems[attr] = f"{self.name} line {person.line}: {exc} in '{column}'"
            return None
        if moment is not None and moment.date() > self.as_of:
            for attr in attrs:
                person.problems[attr] = f"{self.name} line {person.line}: date '{text}' is in the future in '{column}'"
            return None
        return moment.date() if moment else None

    def _signed(self, person: Person, row: list[str], attr: str, where: tuple[int | None, str]) -> None:
        cell = self._cell(person, row, (attr,), where)
        if cell is None:
            return
        text, column = cell
        if blank(text):
            person.values[attr] = False
            return
        try:
            person.values[attr] = parse_bool(text)
            return
        except ValueError:
            pass
        if self._date(person, (attr,), text, column) is not None:
            person.values[attr] = True
        elif attr not in person.problems:
            person.values[attr] = False

    def _training(self, person: Person, row: list[str]) -> None:
        attr = "training.age_days"
        cell = self._cell(person, row, (attr,), self.training)
        if cell is None:
            return
        text, column = cell
        if blank(text):
            person.values[attr] = None  # never trained
            return
        day = self._date(person, (attr,), text, column)
        if attr not in person.problems:
            person.values[attr] = age_days(day, self.as_of) if day else None

    def _country(self, person: Person, row: list[str]) -> None:
        attrs = ("location.country", "location.jurisdiction")
        cell = self._cell(person, row, attrs, self.country)
        if cell is None:
            return
        text, column = cell
        if blank(text):
            for attr in attrs:
                person.problems[attr] = f"{self.name} line {person.line}: no home country in '{column}'"
            return
        try:
            country = parse_country(text)
        except ValueError as exc:
            for attr in attrs:
                person.problems[attr] = f"{self.name} line {person.line}: {exc} in '{column}'"
            return
        person.values["location.country"] = country
        person.values["location.jurisdiction"] = jurisdiction_of_country(country)
