"""Deterministic sample people, companies, deals and calls that every sandbox vendor maps.

Everything derives from ``random.Random`` seeded with the sandbox seed and a purpose label, so a
given ``SandboxConfig`` always yields the same data. Phone numbers are E.164 in the fictional
``555-01xx`` ranges.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

FIRST_NAMES = (
    "Ava", "Ben", "Chloe", "Diego", "Emma", "Farid", "Grace", "Hiro", "Isla", "Jonas",
    "Keira", "Liam", "Maya", "Noah", "Olivia", "Priya", "Quinn", "Rosa", "Sam", "Tara",
)  # fmt: skip
LAST_NAMES = (
    "Adams", "Brooks", "Chen", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ito",
    "Jensen", "Kowalski", "Lopez", "Moreau", "Nakamura", "Okafor", "Patel", "Rossi", "Silva",
)  # fmt: skip
COMPANY_WORDS = (
    "Acme", "Birch", "Cobalt", "Delta", "Ember", "Fjord", "Granite", "Harbor", "Iron", "Juniper",
    "Keystone", "Lumen", "Maple", "Nimbus", "Orchid", "Pioneer", "Quarry", "Ridge",
)  # fmt: skip
COMPANY_KINDS = ("Builders", "Logistics", "Software", "Foods", "Energy", "Health", "Capital")
NOTES = (
    "Discussed pricing for the annual plan.",
    "Asked for a follow-up demo next week.",
    "Decision maker is out until Monday.",
    "Interested in the integration with their ERP.",
    "Left details about the pilot project.",
    "Wants a quote for 25 seats.",
    "Budget approved for Q3, send contract.",
    "Gatekeeper asked us to email instead.",
    "",
)
OUTCOMES = ("Connected", "No answer", "Left voicemail", "Busy", "Wrong number", "Left message")


@dataclass(frozen=True, slots=True)
class Person:
    first_name: str
    last_name: str
    email: str
    phone: str
    company: int  # index into Directory.companies

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True, slots=True)
class Company:
    name: str
    website: str
    phone: str


@dataclass(frozen=True, slots=True)
class Deal:
    title: str
    company: int
    contact: int
    value: int


@dataclass(frozen=True, slots=True)
class SampleCall:
    user: int
    contact: int
    deal: int | None
    start: datetime
    duration: int
    inbound: bool
    outcome: int  # index into OUTCOMES
    note: str
    user_phone: str


@dataclass(frozen=True, slots=True)
class Directory:
    """The sample world: users, companies, contacts, deals and calls."""

    users: tuple[Person, ...]
    companies: tuple[Company, ...]
    contacts: tuple[Person, ...]
    deals: tuple[Deal, ...]
    calls: tuple[SampleCall, ...]
    now: datetime


def _phone(rnd: random.Random, area: int) -> str:
    return f"+1{area}55501{rnd.randrange(100):02d}"


def build_directory(
    seed: int, calls: int, *, now: datetime | None = None, history_days: int = 28
) -> Directory:
    """Build the sample world for ``seed`` with ``calls`` calls over ``history_days`` days."""
    rnd = random.Random(f"{seed}:directory")
    anchor = (now or datetime.now(UTC)).astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    areas = (212, 312, 415, 503, 617, 720, 206, 305)
    companies = tuple(
        Company(
            name=f"{COMPANY_WORDS[i % len(COMPANY_WORDS)]} {rnd.choice(COMPANY_KINDS)}",
            website=f"https://{COMPANY_WORDS[i % len(COMPANY_WORDS)].lower()}.example.com",
            phone=_phone(rnd, rnd.choice(areas)),
        )
        for i in range(16)
    )
    users = tuple(
        Person(
            first,
            last,
            f"{first.lower()}.{last.lower()}@calldesk-sandbox.example",
            _phone(rnd, 415),
            0,
        )
        for first, last in (
            ("Dana", "Reyes"),
            ("Eli", "Novak"),
            ("Fay", "Lindqvist"),
            ("Gus", "Mori"),
        )
    )
    contacts = []
    for i in range(48):
        first = FIRST_NAMES[(i * 7) % len(FIRST_NAMES)]
        last = LAST_NAMES[(i * 5 + i // 9) % len(LAST_NAMES)]
        company = i % len(companies)
        domain = companies[company].website.removeprefix("https://")
        contacts.append(
            Person(
                first,
                last,
                f"{first.lower()}.{last.lower()}@{domain}",
                _phone(rnd, rnd.choice(areas)),
                company,
            )
        )
    deals = tuple(
        Deal(
            title=f"{companies[i % len(companies)].name} expansion {2024 + i % 3}",
            company=i % len(companies),
            contact=i % len(contacts),
            value=rnd.randrange(20, 400) * 100,
        )
        for i in range(20)
    )
    span = history_days * 24 * 3600
    sample_calls = []
    for _ in range(calls):
        contact = rnd.randrange(len(contacts))
        outcome = rnd.choices(range(len(OUTCOMES)), weights=(50, 20, 15, 6, 3, 6))[0]
        connected = outcome == 0
        user = rnd.randrange(len(users))
        sample_calls.append(
            SampleCall(
                user=user,
                contact=contact,
                deal=rnd.randrange(len(deals)) if rnd.random() < 0.4 else None,
                start=anchor - timedelta(seconds=rnd.randrange(3600, span)),
                duration=rnd.randrange(60, 1800) if connected else rnd.randrange(0, 45),
                inbound=rnd.random() < 0.2,
                outcome=outcome,
                note=rnd.choice(NOTES),
                user_phone=users[user].phone,
            )
        )
    sample_calls.sort(key=lambda c: c.start)
    return Directory(users, companies, tuple(contacts), deals, tuple(sample_calls), anchor)


def hex_id(rnd: random.Random, length: int = 24) -> str:
    """A random lowercase hex id (Apollo ids are 24 hex characters)."""
    return f"{rnd.getrandbits(length * 4):0{length}x}"


def alnum_id(rnd: random.Random, length: int) -> str:
    """A random [A-Za-z0-9] string (Close ids after the prefix)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(rnd.choice(alphabet) for _ in range(length))
