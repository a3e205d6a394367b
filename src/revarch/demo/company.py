"""The demo company's people, accounts, time window and exchange rates.

Everything here is small (one row per user, account or month), so it is
generated once up front; opportunities and activities come in chunks.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from revarch.demo.ids import salesforce_ids

COMPANY_NAME = "Northwind Analytics"
CURRENCY = "USD"
TIMEZONE = "America/New_York"
EMAIL_DOMAIN = "northwind-analytics.example"
# The last team sells to European accounts, mostly in euros.
TEAM_NAMES = ("East", "West", "Central", "EMEA")
TEAM_TIMEZONES = (
    "America/New_York",
    "America/Los_Angeles",
    "America/Chicago",
    "Europe/Berlin",
)

SECONDS_PER_DAY = 86_400
# Business hours in New York, in UTC seconds after midnight.
WORKDAY_START = 13 * 3600
WORKDAY_END = 22 * 3600
RAMP_DAYS = 180
# Euros per US dollar at the start of the history (Salesforce semantics:
# units of the currency per one unit of the corporate currency).
EUR_START_RATE = 0.92

FIRST_NAMES = (
    "Avery", "Blake", "Camila", "Dev", "Elena", "Farah", "Gabriel", "Hana",
    "Isaac", "Jordan", "Kenji", "Lena", "Marcus", "Nadia", "Omar", "Priya",
    "Quinn", "Rafael", "Sofia", "Tomas", "Uma", "Victor", "Wen", "Ximena",
    "Yusuf", "Zoë", "José", "Łukasz", "Søren", "Chloé", "Mateo", "Aisha",
    "Ben", "Clara", "Diego", "Erin", "Felix", "Grace", "Hugo", "Ines",
)  # fmt: skip
LAST_NAMES = (
    "Anderson", "Baker", "Chen", "Diaz", "Evans", "Fischer", "García", "Hughes",
    "Ito", "Johansson", "Kim", "Lopez", "Müller", "Nguyễn", "O'Connor", "Patel",
    "Quinlan", "Rossi", "Schmidt", "Tanaka", "Usman", "Varga", "Walsh", "Xu",
    "Young", "Zimmer", "Brennan", "Costa", "Dubois", "Eriksen", "Fontaine",
    "Gupta", "Haddad", "Ivanova", "Jensen", "Kowalski", "Larsen", "Moreau",
    "Novak", "Okafor",
)  # fmt: skip

NORTH_AMERICA_WORDS = (
    "Summit", "Harbor", "Granite", "Maple", "Pioneer", "Beacon", "Cedar",
    "Liberty", "Redwood", "Prairie", "Atlas", "Crescent", "Evergreen",
    "Frontier", "Horizon", "Keystone", "Lakeside", "Meridian", "Northstar",
    "Orchard", "Pinnacle", "Riverbend", "Sterling", "Timber", "Union",
)  # fmt: skip
EUROPE_WORDS = (
    "Alpen", "Baltic", "Danube", "Fjord", "Iberia", "Lumen", "Nordlicht",
    "Rhein", "Sevilla", "Tirol", "Vltava", "Zenit", "Aurora", "Bretagne",
    "Carpathia", "Delft", "Elbe", "Garonne", "Helvetia", "Loire",
)  # fmt: skip
SECOND_WORDS = (
    "Analytics", "Logistics", "Health", "Foods", "Energy", "Software",
    "Manufacturing", "Retail", "Capital", "Labs", "Systems", "Media",
    "Insurance", "Robotics", "Pharma", "Telecom",
)  # fmt: skip
NORTH_AMERICA_SUFFIXES = ("Inc", "LLC", "Corp", "Co", "Group", "Holdings")
EUROPE_SUFFIXES = ("GmbH", "SA", "BV", "AB", "Oy", "SpA", "SAS", "Ltd")
# Real accounts carry names in many scripts; these come first in each pool,
# where the skewed account choice picks them most often.
EUROPE_SPECIAL_NAMES = (
    "Müller Präzisionstechnik GmbH",
    "Société Générale des Données SA",
    "Łódź Logistyka Sp. z o.o.",
    "Ålesund Fiskeri AS",
    "Θεσσαλονίκη Data AE",
    "Москва Софт ООО",
    "İstanbul Yazılım AŞ",
)
NORTH_AMERICA_SPECIAL_NAMES = (
    "東京データ株式会社",
    "北京云数据有限公司",
    "서울 애널리틱스",
    "Café Olé Holdings Inc",
)
INDUSTRIES = (
    "Technology", "Healthcare", "Manufacturing", "Retail", "Financial Services",
    "Logistics", "Energy", "Media", "Education", "Public Sector",
)  # fmt: skip
NORTH_AMERICA_COUNTRIES = ("United States", "United States", "Canada")
EUROPE_COUNTRIES = (
    "Germany", "France", "Netherlands", "Sweden", "Spain", "Italy", "Poland",
    "Norway", "Greece", "Türkiye",
)  # fmt: skip


def weekday_days(days: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Move weekend days to Monday, or back to Friday where Monday is too late."""
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    moved = days + np.where(weekday == 5, 2, np.where(weekday == 6, 1, 0))
    moved = np.where(moved > last, days - np.where(weekday == 6, 2, 1), moved)
    moved = np.where(weekday < 5, days, moved)
    return np.asarray(np.clip(moved, first, last), dtype=np.int64)


def working_hours(
    rng: np.random.Generator, instants: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """Move instants to a random working hour of a nearby weekday within bounds."""
    days = weekday_days(
        instants // SECONDS_PER_DAY, lower // SECONDS_PER_DAY, upper // SECONDS_PER_DAY
    )
    hours = rng.integers(WORKDAY_START, WORKDAY_END, len(instants))
    return np.clip(days * SECONDS_PER_DAY + hours, lower, upper)


@dataclass(frozen=True)
class Window:
    """The history: whole calendar months ending on ``end_day`` (days since 1970)."""

    start_day: int
    end_day: int

    @property
    def end_instant(self) -> int:
        """Return the last second of the history, in seconds since 1970 (UTC)."""
        return (self.end_day + 1) * SECONDS_PER_DAY - 1

    @property
    def month_starts(self) -> np.ndarray:
        """Return the first day of every month of the history, as day numbers."""
        first = np.datetime64(self.start_day, "D").astype("datetime64[M]")
        last = np.datetime64(self.end_day, "D").astype("datetime64[M]")
        months = np.arange(first, last + 1)
        return months.astype("datetime64[D]").astype(np.int64)


def history_window(seed: int, months: int) -> Window:
    """Return ``months`` months of history ending on a month end derived from the seed.

    The end is fixed by the seed (December 2024 plus up to 11 months), never
    today's date, so the same seed gives the same files on any day.
    """
    end_month = np.datetime64("2024-12", "M") + seed % 12
    end_day = (end_month + 1).astype("datetime64[D]") - 1
    start_day = (end_month - (months - 1)).astype("datetime64[D]")
    return Window(int(start_day.astype(np.int64)), int(end_day.astype(np.int64)))


@dataclass(frozen=True)
class Sellers:
    """Per-seller traits, one array element per seller."""

    managers: int
    team: np.ndarray
    skill: np.ndarray
    activity: np.ndarray
    social: np.ndarray
    adherence: np.ndarray
    hire_day: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray
    active: np.ndarray
    share: np.ndarray

    @property
    def count(self) -> int:
        return len(self.skill)

    @property
    def europe(self) -> np.ndarray:
        """Return whether each seller is in the European team."""
        return np.asarray(self.team == self.managers - 1, dtype=bool)


def _hire_days(rng: np.random.Generator, count: int, window: Window) -> np.ndarray:
    """Return hire days: most before the history, some during it, a few ramping."""
    length = window.end_day - window.start_day
    ramping = max(1, round(0.12 * count))
    mid_window = round(0.15 * count)
    hire = window.start_day - rng.integers(60, 2000, count)
    order = rng.permutation(count)
    recent = order[:ramping]
    hire[recent] = window.end_day - rng.integers(30, RAMP_DAYS - 20, ramping)
    middle = order[ramping : ramping + mid_window]
    hire[middle] = window.start_day + (rng.uniform(0.1, 0.6, mid_window) * length)
    return hire


def generate_sellers(
    rng: np.random.Generator, count: int, managers: int, window: Window
) -> Sellers:
    """Draw every seller's skill, habits, team and employment dates.

    A lognormal skill factor drives win rate, amounts and activity volume,
    so a few stars book far more than the weak tail.
    """
    skill = rng.lognormal(0.0, 0.45, count)
    log_skill = np.log(skill)
    activity = np.sqrt(skill) * rng.lognormal(0.0, 0.2, count)
    social = np.clip(rng.normal(0.12, 0.08, count) + 0.08 * log_skill, 0.0, 0.4)
    adherence = np.clip(0.55 + 0.25 * log_skill + rng.normal(0, 0.1, count), 0.1, 0.95)
    hire_day = _hire_days(rng, count, window)

    last_day = np.full(count, window.end_day, dtype=np.int64)
    active = np.ones(count, dtype=bool)
    veterans = np.flatnonzero(hire_day < window.start_day)
    length = window.end_day - window.start_day
    if count >= 8 and len(veterans) and length > 150:
        leaver = veterans[rng.integers(len(veterans))]
        last_day[leaver] = window.end_day - rng.integers(45, 120)
        active[leaver] = False

    first_day = np.maximum(window.start_day, hire_day + 3)
    share = activity * (last_day - first_day + 1)
    return Sellers(
        managers=managers,
        team=np.arange(count) % managers,
        skill=skill,
        activity=activity,
        social=social,
        adherence=adherence,
        hire_day=hire_day,
        first_day=first_day,
        last_day=last_day,
        active=active,
        share=share / share.sum(),
    )


@dataclass(frozen=True)
class Accounts:
    """Customer accounts: the first ``europe`` of them are European."""

    ids: pa.StringArray
    names: pa.StringArray
    europe: int

    @property
    def count(self) -> int:
        return len(self.ids)


def _account_names(
    count: int, first_words: tuple[str, ...], suffixes: tuple[str, ...]
) -> pa.Array:
    """Combine word lists into ``count`` names such as 'Summit Labs Inc'."""
    index = np.arange(count)
    first = pa.array(first_words).take(pa.array(index % len(first_words)))
    second_index = (index // len(first_words)) % len(SECOND_WORDS)
    second = pa.array(SECOND_WORDS).take(pa.array(second_index))
    suffix_index = (index // (len(first_words) * len(SECOND_WORDS))) % len(suffixes)
    suffix = pa.array(suffixes).take(pa.array(suffix_index))
    return pc.binary_join_element_wise(first, second, suffix, " ")


def _with_specials(names: pa.Array, specials: tuple[str, ...]) -> pa.Array:
    keep = min(len(specials), len(names))
    return pa.concat_arrays([pa.array(specials[:keep]), names[keep:]])


def generate_accounts(opportunities: int) -> Accounts:
    """Name about one account per three opportunities (40 to 20,000)."""
    count = int(np.clip(round(opportunities / 3), 40, 20_000))
    europe = int(np.ceil(0.3 * count))
    europe_names = _with_specials(
        _account_names(europe, EUROPE_WORDS, EUROPE_SUFFIXES), EUROPE_SPECIAL_NAMES
    )
    america_names = _with_specials(
        _account_names(count - europe, NORTH_AMERICA_WORDS, NORTH_AMERICA_SUFFIXES),
        NORTH_AMERICA_SPECIAL_NAMES,
    )
    names = pa.concat_arrays([europe_names, america_names])
    return Accounts(salesforce_ids("account", 1_000, count), names, europe)


def accounts_table(rng: np.random.Generator, accounts: Accounts) -> pa.Table:
    """Build Account.csv: id, name, industry and billing country."""
    europe = np.arange(accounts.count) < accounts.europe
    country_europe = pa.array(EUROPE_COUNTRIES).take(
        pa.array(rng.integers(0, len(EUROPE_COUNTRIES), accounts.count))
    )
    country_america = pa.array(NORTH_AMERICA_COUNTRIES).take(
        pa.array(rng.integers(0, len(NORTH_AMERICA_COUNTRIES), accounts.count))
    )
    industry = pa.array(INDUSTRIES).take(
        pa.array(rng.integers(0, len(INDUSTRIES), accounts.count))
    )
    return pa.table(
        {
            "Id": accounts.ids,
            "IsDeleted": pa.array(np.zeros(accounts.count, dtype=bool)),
            "Name": accounts.names,
            "Type": pa.array(["Customer - Direct"] * accounts.count, pa.string()),
            "Industry": industry,
            "BillingCountry": pc.if_else(
                pa.array(europe), country_europe, country_america
            ),
        }
    )


@dataclass(frozen=True)
class ExchangeRates:
    """Monthly euro rates: euros per US dollar from each month's first day."""

    start_days: np.ndarray
    rates: np.ndarray

    def on_days(self, days: np.ndarray) -> np.ndarray:
        """Return the rate in effect on each day: the latest on or before it."""
        index = np.searchsorted(self.start_days, days, side="right") - 1
        return self.rates[np.clip(index, 0, len(self.rates) - 1)]


def generate_rates(rng: np.random.Generator, window: Window) -> ExchangeRates:
    """Draw a gentle random walk of monthly EUR rates over the history."""
    starts = window.month_starts
    steps = rng.normal(0.0, 0.012, len(starts))
    steps[0] = 0.0
    rates = np.round(EUR_START_RATE * np.exp(np.cumsum(steps)), 6)
    return ExchangeRates(starts, rates)


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


@dataclass(frozen=True)
class People:
    """Users in export order: the VP, managers, sellers, an integration user."""

    ids: pa.StringArray
    first_names: list[str]
    last_names: list[str]
    managers: int
    sellers: int

    def seller_ids(self) -> pa.StringArray:
        start = 1 + self.managers
        return self.ids[start : start + self.sellers]


def generate_people(rng: np.random.Generator, sellers: int, managers: int) -> People:
    """Draw a unique first and last name for every user."""
    humans = 1 + managers + sellers
    picks = rng.permutation(len(FIRST_NAMES) * len(LAST_NAMES))[:humans]
    first = [FIRST_NAMES[p % len(FIRST_NAMES)] for p in picks] + ["Integration"]
    last = [LAST_NAMES[p // len(FIRST_NAMES)] for p in picks] + ["User"]
    ids = salesforce_ids("user", 500, humans + 1)
    return People(ids, first, last, managers, sellers)


def team_names(managers: int) -> tuple[str, ...]:
    """Return the names of ``managers`` teams, always ending with the European team."""
    return TEAM_NAMES[len(TEAM_NAMES) - managers :]


def roles_table(managers: int) -> pa.Table:
    """Build UserRole.csv: the VP, one manager role and one seller role per team."""
    teams = team_names(managers)
    ids = salesforce_ids("role", 100, 1 + 2 * managers).to_pylist()
    names = ["VP Sales"]
    names += [f"Sales Manager, {team}" for team in teams]
    names += [f"Account Executive, {team}" for team in teams]
    parents = [None] + [ids[0]] * managers + ids[1 : 1 + managers]
    return pa.table(
        {
            "Id": pa.array(ids, pa.string()),
            "Name": pa.array(names, pa.string()),
            "ParentRoleId": pa.array(parents, pa.string()),
            "RollupDescription": pa.array(names, pa.string()),
        }
    )


def users_table(
    rng: np.random.Generator, people: People, sellers: Sellers, window: Window
) -> pa.Table:
    """Build User.csv: names, emails, managers, roles, hire dates and activity."""
    managers = people.managers
    teams = team_names(managers)
    zones = TEAM_TIMEZONES[len(TEAM_NAMES) - managers :]
    role_ids = roles_table(managers)["Id"].to_pylist()
    ids = people.ids.to_pylist()
    vp, manager_ids = ids[0], ids[1 : 1 + managers]

    seller_teams = sellers.team.tolist()
    leader_hires = window.start_day - rng.integers(400, 2500, 1 + managers)
    hire_days = [*leader_hires.tolist(), *sellers.hire_day.tolist(), None]
    titles = ["VP Sales"] + ["Sales Manager"] * managers
    titles += ["Account Executive"] * sellers.count + ["Integration"]
    departments = [None, *teams, *(teams[t] for t in seller_teams), None]
    manager_of = [None, *[vp] * managers]
    manager_of += [manager_ids[t] for t in seller_teams] + [None]
    role_of = [role_ids[0], *role_ids[1 : 1 + managers]]
    role_of += [role_ids[1 + managers + t] for t in seller_teams] + [None]
    zone_of = [zones[0], *zones, *(zones[t] for t in seller_teams), "UTC"]
    active = [True] * (1 + managers) + sellers.active.tolist() + [True]

    emails = [
        f"{_ascii(first)}.{_ascii(last)}@{EMAIL_DOMAIN}"
        for first, last in zip(people.first_names, people.last_names, strict=True)
    ]
    hire_dates = pa.array(hire_days, pa.int32()).cast(pa.date32())
    return pa.table(
        {
            "Id": people.ids,
            "Username": pa.array(emails, pa.string()),
            "FirstName": pa.array(people.first_names, pa.string()),
            "LastName": pa.array(people.last_names, pa.string()),
            "Email": pa.array(emails, pa.string()),
            "Title": pa.array(titles, pa.string()),
            "Department": pa.array(departments, pa.string()),
            "ManagerId": pa.array(manager_of, pa.string()),
            "UserRoleId": pa.array(role_of, pa.string()),
            "IsActive": pa.array(active, pa.bool_()),
            "UserType": pa.array(["Standard"] * len(ids), pa.string()),
            "TimeZoneSidKey": pa.array(zone_of, pa.string()),
            "Hire_Date__c": hire_dates,
        }
    )


def dated_rates_table(rates: ExchangeRates) -> pa.Table:
    """Build DatedConversionRate.csv: euros per US dollar from each start date."""
    count = len(rates.start_days)
    # Salesforce ends the open range of the latest rate on 9999-12-31.
    open_end = np.datetime64("9999-12-31", "D").astype(np.int64)
    next_start = np.append(rates.start_days[1:], open_end)
    return pa.table(
        {
            "Id": salesforce_ids("dated_rate", 300, count),
            "IsoCode": pa.array(np.full(count, "EUR")),
            "StartDate": pa.array(rates.start_days.astype(np.int32), pa.date32()),
            "NextStartDate": pa.array(next_start.astype(np.int32), pa.date32()),
            "ConversionRate": pa.array(rates.rates, pa.float64()),
        }
    )


def currency_types_table(rates: ExchangeRates) -> pa.Table:
    """Build CurrencyType.csv: USD is the corporate currency, EUR at its last rate."""
    return pa.table(
        {
            "Id": salesforce_ids("currency", 10, 2),
            "IsoCode": pa.array([CURRENCY, "EUR"]),
            "ConversionRate": pa.array([1.0, float(rates.rates[-1])]),
            "DecimalPlaces": pa.array([2, 2], pa.int64()),
            "IsActive": pa.array([True, True]),
            "IsCorporate": pa.array([True, False]),
        }
    )
