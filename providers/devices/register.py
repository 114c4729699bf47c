"""The staff register (an HR export): who signed what, when they were trained, where they work from.

A CSV (``,`` or ``;``, UTF-8 with or without BOM, or Windows-1252) with one row per person: any of a
user principal name, an e-mail address and a local user name (every one present is indexed, so a
device whose owner is given by any of them finds the person), and optional columns for the home-office
agreement, the confidentiality statement, the last data-protection training and the home country.
Which column is which: :mod:`.register_columns`. It is small and read whole. Each person's facts
become device attributes; a bad cell makes only the attributes it feeds unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from policycheck.errors import InputError
from policycheck.regions import jurisdiction_of_country

from .columns import blank
from .normalise import age_days, parse_bool, parse_country, parse_datetime
from .register_columns import IDENTIFIERS, locate
from .textio import BadRow, CsvRows, label_of, open_text

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
    """People by every identifier the register gives (UPN, e-mail, user name), case-insensitive."""

    def __init__(self, people: dict[str, Person], name: str, count: int | None = None):
        self._people = people
        self.name = name
        self._count = count if count is not None else len({id(p) for p in people.values()})

    def __len__(self) -> int:
        return self._count

    def find(self, owner: str | None, aliases: tuple[str, ...] = ()) -> Person | None:
        for candidate in (owner, *aliases):
            if candidate and (person := self._people.get(candidate.strip().casefold())):
                return person
        return None

    @classmethod
    def load(cls, path: Path, as_of: date, *, encoding: str | None = None, date_order: str = "mdy",
             columns: Mapping[str, tuple[str, ...]] | None = None) -> StaffRegister:
        name = label_of(path)
        people: dict[str, Person] = {}
        count = 0
        with open_text(path, encoding) as (stream, sample):
            if sample.lstrip()[:1] in ("[", "{"):
                raise InputError("the staff register must be a CSV file (it looks like JSON)", source=name)
            rows = CsvRows(stream, sample, name)
            found = locate(rows.columns, columns or {})
            keys = [where for key in IDENTIFIERS for where in found[key]]
            if not keys:
                raise InputError("not a staff register: no user column (user principal name, e-mail or user name; "
                                 "name yours with --register-column upn=COLUMN)", source=name,
                                 place=f"line {rows.header_line}")
            reader = _RowReader(found, name, as_of, date_order)
            for line, row in rows:
                if isinstance(row, BadRow):
                    raise InputError(row.problem, source=name, place=f"line {line}")
                ids = {row[i].strip().casefold() for i, _ in keys if i < len(row) and row[i].strip()}
                if not ids:
                    continue  # a person without an identifier cannot own a device record
                person = reader.person(line, row)
                count += 1
                for ident in ids:
                    if ident in people and people[ident] is not person:
                        people[ident] = _conflict(name, people[ident].line, line)
                    else:
                        people[ident] = person
        return cls(people, name, count)


#: Distinct cells remembered per kind; the memory starts over when it is full.
_CELLS_KEPT = 8192


def _remember(cache: dict[str, Any], text: str, value: Any) -> None:
    if len(cache) >= _CELLS_KEPT:
        cache.clear()
    cache[text] = value


def _conflict(name: str, first: int, second: int) -> Person:
    reason = f"{name} lines {first} and {second} both list this person"
    return Person(second, {}, {attr: reason for attr in REGISTER_ATTRIBUTES})


Cells = list[tuple[str, str]]  # (text, column name)


class _RowReader:
    """The register's facts of one row; a fact spread over several columns is combined (see each reader)."""

    def __init__(self, found: dict[str, list[tuple[int, str]]], name: str, as_of: date, date_order: str):
        self.found, self.name, self.as_of, self.date_order = found, name, as_of, date_order
        # cells that read without a problem, by text (many people share a date): day, and signed-or-not
        self._days: dict[str, date | None] = {}
        self._verdicts: dict[str, bool] = {}

    def person(self, line: int, row: list[str]) -> Person:
        person = Person(line)
        for key, attr in (("home_office_agreement", "agreements.home_office"),
                          ("confidentiality", "agreements.confidentiality")):
            if (cells := self._cells(person, row, key, (attr,))) is not None:
                self._signed(person, attr, cells)
        if (cells := self._cells(person, row, "training", ("training.age_days",))) is not None:
            self._training(person, cells)
        attrs = ("location.country", "location.jurisdiction")
        if (cells := self._cells(person, row, "home_country", attrs)) is not None:
            self._country(person, attrs, cells)
        return person

    def _cells(self, person: Person, row: list[str], key: str, attrs: tuple[str, ...]) -> Cells | None:
        where = self.found[key]
        if not where:
            return self._unknown(person, attrs, f"{self.name}: the register has no {key} column")
        short = [column for index, column in where if index >= len(row)]
        if short:
            return self._unknown(person, attrs, f"{self.name} line {person.line}: missing column '{short[0]}' "
                                                "(short row)")
        return [(row[index].strip(), column) for index, column in where]

    @staticmethod
    def _unknown(person: Person, attrs: tuple[str, ...], reason: str) -> None:
        for attr in attrs:
            person.problems.setdefault(attr, reason)
        return None

    def _date(self, text: str, column: str, line: int) -> tuple[date | None, str | None]:
        """(the day, None) or (None, why it cannot be read); (None, None) for a vendor's "never"."""
        if text in self._days:
            return self._days[text], None
        try:
            moment = parse_datetime(text, date_order=self.date_order)
        except ValueError as exc:
            return None, f"{self.name} line {line}: {exc} in '{column}'"
        if moment is not None and moment.date() > self.as_of:
            return None, f"{self.name} line {line}: a date in the future in '{column}'"
        day = moment.date() if moment else None
        _remember(self._days, text, day)
        return day, None

    def _signed(self, person: Person, attr: str, cells: Cells) -> None:
        """Signed if any column says so (yes/true or a date not in the future); else unknown if a cell cannot be
        read, else not signed (empty cells)."""
        problem = None
        for text, column in cells:
            if blank(text):
                continue
            verdict = self._verdicts.get(text)
            if verdict is None:
                try:
                    verdict = parse_bool(text)
                except ValueError:
                    day, why = self._date(text, column, person.line)
                    verdict, problem = day is not None, problem or why
                    if why is None:
                        _remember(self._verdicts, text, verdict)
                else:
                    _remember(self._verdicts, text, verdict)
            if verdict:
                person.values[attr] = True
                return
        if problem:
            person.problems[attr] = problem
        else:
            person.values[attr] = False

    def _training(self, person: Person, cells: Cells) -> None:
        """Age of the most recent training in any column; null (never trained) when every cell is empty."""
        attr = "training.age_days"
        days = []
        for text, column in cells:
            if blank(text):
                continue
            day, why = self._date(text, column, person.line)
            if why:
                person.problems[attr] = why
                return
            if day is not None:
                days.append(day)
        person.values[attr] = age_days(max(days), self.as_of) if days else None

    def _country(self, person: Person, attrs: tuple[str, ...], cells: Cells) -> None:
        """The home country; unknown when no column gives one or two columns disagree."""
        countries: dict[str, str] = {}
        for text, column in cells:
            if blank(text):
                continue
            try:
                countries.setdefault(parse_country(text), column)
            except ValueError as exc:
                self._unknown(person, attrs, f"{self.name} line {person.line}: {exc} in '{column}'")
                return
        if len(countries) != 1:
            columns = "', '".join(column for _, column in cells)
            why = "no home country" if not countries else "different countries"
            self._unknown(person, attrs, f"{self.name} line {person.line}: {why} in '{columns}'")
            return
        country = next(iter(countries))
        person.values["location.country"] = country
        person.values["location.jurisdiction"] = jurisdiction_of_country(country)
