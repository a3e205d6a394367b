"""Opportunity and OpportunityHistory rows for one chunk, as Arrow tables."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from revarch.demo.columns import dates, pick, timestamps
from revarch.demo.company import (
    RAMP_DAYS,
    SECONDS_PER_DAY,
    WORKDAY_END,
    WORKDAY_START,
    Accounts,
    ExchangeRates,
    Sellers,
    Window,
    weekday_days,
)
from revarch.demo.ids import ID_COUNTER_START, salesforce_ids
from revarch.demo.paths import (
    Fates,
    Paths,
    draw_fates,
    row_amounts,
    row_close_days,
    simulate_paths,
)
from revarch.demo.stages import (
    EXPECTED_DAYS,
    FORECAST_CATEGORIES,
    PROBABILITIES,
    STAGE_NAMES,
    WON,
)

TYPES = ("New Business", "Existing Business", "Renewal")
TYPE_SHARES = (0.65, 0.25, 0.10)
TYPE_SIZES = np.array([1.0, 0.6, 0.8])
LEAD_SOURCES = ("Outbound", "Web", "Partner", "Event", "Referral", "LinkedIn")
LEAD_SOURCE_SHARES = (0.35, 0.25, 0.1, 0.1, 0.1, 0.1)
PRODUCTS = (
    "Insights Platform",
    "Data Pipeline",
    "Forecasting Add-on",
    "Embedded BI",
    "Analytics Suite",
    "Services Retainer",
)
# The first opportunity's name carries the characters exports and reports
# must escape.
SPECIAL_NAME = 'O\'Hara & Sons <Pilot> "Phase 2" renewal'

MEDIAN_AMOUNT_USD = 18_000
EUROPE_EUR_SHARE = 0.85
OTHER_EUR_SHARE = 0.02
DELETED_SHARE = 0.002
WON_MARGIN_SHARE = 0.9
LATE_OPEN_MARGIN_SHARE = 0.5
LATE_STAGE = 4


@dataclass(frozen=True)
class Company:
    """What every chunk draws from: the window, sellers, accounts and rates."""

    window: Window
    sellers: Sellers
    seller_ids: pa.StringArray
    accounts: Accounts
    rates: ExchangeRates


@dataclass
class Opportunities:
    """One chunk of generated opportunities and their history."""

    ids: pa.StringArray
    owner: np.ndarray
    created: np.ndarray
    strength: np.ndarray
    engagement: np.ndarray
    deleted: np.ndarray
    paths: Paths
    table: pa.Table
    history: pa.Table

    @property
    def count(self) -> int:
        return len(self.owner)


def _creation(
    rng: np.random.Generator, company: Company, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """Draw each opportunity's owner and creation instant on a working day."""
    sellers = company.sellers
    owner = rng.choice(sellers.count, size=count, p=sellers.share)
    first, last = sellers.first_day[owner], sellers.last_day[owner]
    days = first + np.floor(rng.random(count) * (last - first + 1)).astype(np.int64)
    days = weekday_days(days, first, last)
    created = days * SECONDS_PER_DAY + rng.integers(WORKDAY_START, WORKDAY_END, count)
    return owner, created


def _strength(
    rng: np.random.Generator, sellers: Sellers, owner: np.ndarray, created: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return each opportunity's strength (seller skill, ramp, engagement)."""
    tenure = created // SECONDS_PER_DAY - sellers.hire_day[owner]
    ramp = np.clip(0.45 + 0.55 * tenure / RAMP_DAYS, 0.45, 1.0)
    engagement = rng.lognormal(0.0, 0.35, len(owner))
    return sellers.skill[owner] * ramp * engagement, engagement


def _accounts(
    rng: np.random.Generator, accounts: Accounts, europe: np.ndarray
) -> np.ndarray:
    """Pick accounts from the seller's region, favouring the first (large) ones."""
    skewed = rng.random(len(europe)) ** 2
    europe_pick = np.floor(skewed * accounts.europe)
    other_pick = accounts.europe + np.floor(skewed * (accounts.count - accounts.europe))
    return np.where(europe, europe_pick, other_pick).astype(np.int64)


def _amounts(
    rng: np.random.Generator,
    company: Company,
    strength: np.ndarray,
    type_code: np.ndarray,
    europe: np.ndarray,
    created: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw each first amount in its currency, and whether that currency is EUR."""
    count = len(strength)
    usd = rng.lognormal(np.log(MEDIAN_AMOUNT_USD), 0.7, count)
    usd *= np.sqrt(strength) * TYPE_SIZES[type_code]
    share = np.where(europe, EUROPE_EUR_SHARE, OTHER_EUR_SHARE)
    in_eur = rng.random(count) < share
    rate = company.rates.on_days(created // SECONDS_PER_DAY)
    local = np.where(in_eur, usd * rate, usd)
    return np.maximum(np.round(local, -2), 1_000), in_eur


def _margins(
    rng: np.random.Generator,
    amount: np.ndarray,
    strength: np.ndarray,
    stage: np.ndarray,
) -> pa.Array:
    """Draw gross margin, in the amount's currency, for most won and late ones.

    Stronger sellers discount less, so their margin rate is higher.
    """
    count = len(amount)
    rate = np.clip(rng.normal(0.32 + 0.06 * np.log(strength), 0.07), 0.05, 0.7)
    late_open = (stage >= LATE_STAGE) & (stage < WON)
    chance = np.where(
        stage == WON,
        WON_MARGIN_SHARE,
        np.where(late_open, LATE_OPEN_MARGIN_SHARE, 0.0),
    )
    has_margin = rng.random(count) < chance
    margin = np.round(amount * rate, 2)
    return pa.array(margin, pa.float64(), mask=~has_margin)


@dataclass
class _Drawn:
    """Per-opportunity draws that the tables are built from."""

    owner: np.ndarray
    created: np.ndarray
    strength: np.ndarray
    engagement: np.ndarray
    fates: Fates
    paths: Paths
    type_code: np.ndarray
    first_amount: np.ndarray
    in_eur: np.ndarray
    account: np.ndarray
    deleted: np.ndarray


def _draw(rng: np.random.Generator, company: Company, count: int) -> _Drawn:
    owner, created = _creation(rng, company, count)
    strength, engagement = _strength(rng, company.sellers, owner, created)
    fates = draw_fates(rng, strength)
    paths = simulate_paths(rng, fates, strength, created, company.window.end_instant)
    type_code = rng.choice(len(TYPES), size=count, p=TYPE_SHARES)
    europe = company.sellers.europe[owner]
    first_amount, in_eur = _amounts(rng, company, strength, type_code, europe, created)
    account = _accounts(rng, company.accounts, europe)
    deleted = rng.random(count) < DELETED_SHARE
    return _Drawn(
        owner,
        created,
        strength,
        engagement,
        fates,
        paths,
        type_code,
        first_amount,
        in_eur,
        account,
        deleted,
    )


def _names(
    rng: np.random.Generator, company: Company, drawn: _Drawn, first: int
) -> pa.Array:
    """Name each opportunity '<account> - <product>'."""
    account_names = company.accounts.names.take(pa.array(drawn.account))
    product = pick(PRODUCTS, rng.integers(0, len(PRODUCTS), len(drawn.owner)))
    names = pc.binary_join_element_wise(account_names, product, " - ")
    if first == 0 and len(names):
        names = pa.concat_arrays([pa.array([SPECIAL_NAME]), names[1:]])
    return names


def generate_opportunities(
    rng: np.random.Generator,
    company: Company,
    *,
    first: int,
    count: int,
    first_history: int,
) -> Opportunities:
    """Generate ``count`` opportunities numbered from ``first``, with history rows."""
    drawn = _draw(rng, company, count)
    planned_day = drawn.created // SECONDS_PER_DAY + np.round(
        EXPECTED_DAYS.sum() * rng.lognormal(0.0, 0.3, count)
    ).astype(np.int64)
    close_days = row_close_days(drawn.paths, planned_day)
    amounts = row_amounts(rng, drawn.paths, drawn.fates, drawn.first_amount)
    ids = salesforce_ids("opportunity", ID_COUNTER_START + first, count)
    table = _opportunity_table(
        rng, company, drawn, ids, close_days, amounts, first=first
    )
    history = _history_table(
        drawn, ids, company, close_days, amounts, first_history=first_history
    )
    return Opportunities(
        ids=ids,
        owner=drawn.owner,
        created=drawn.created,
        strength=drawn.strength,
        engagement=drawn.engagement,
        deleted=drawn.deleted,
        paths=drawn.paths,
        table=table,
        history=history,
    )


def _opportunity_table(
    rng: np.random.Generator,
    company: Company,
    drawn: _Drawn,
    ids: pa.StringArray,
    close_days: np.ndarray,
    amounts: np.ndarray,
    *,
    first: int,
) -> pa.Table:
    """Build the Opportunity rows: each one's state at the end of the history."""
    paths = drawn.paths
    rows = paths.rows
    stage = paths.current_stage
    amount = amounts[rows, paths.last_slot]
    lead_source = rng.choice(len(LEAD_SOURCES), size=len(ids), p=LEAD_SOURCE_SHARES)
    return pa.table(
        {
            "Id": ids,
            "Name": _names(rng, company, drawn, first),
            "AccountId": company.accounts.ids.take(pa.array(drawn.account)),
            "OwnerId": company.seller_ids.take(pa.array(drawn.owner)),
            "CreatedDate": timestamps(drawn.created),
            "CloseDate": dates(close_days[rows, paths.last_slot]),
            "Amount": pa.array(amount, pa.int64()),
            "CurrencyIsoCode": pick(("USD", "EUR"), drawn.in_eur.astype(np.int64)),
            "StageName": pick(STAGE_NAMES, stage),
            "IsClosed": pa.array(stage >= WON),
            "IsWon": pa.array(stage == WON),
            "Type": pick(TYPES, drawn.type_code),
            "LeadSource": pick(LEAD_SOURCES, lead_source),
            "Probability": pa.array(PROBABILITIES[stage], pa.int64()),
            "ForecastCategoryName": pick(FORECAST_CATEGORIES, stage),
            "IsDeleted": pa.array(drawn.deleted),
            "Gross_Margin__c": _margins(rng, amount, drawn.strength, stage),
        }
    )


def _history_table(
    drawn: _Drawn,
    ids: pa.StringArray,
    company: Company,
    close_days: np.ndarray,
    amounts: np.ndarray,
    *,
    first_history: int,
) -> pa.Table:
    """Build the OpportunityHistory rows: the visible slots, in time order."""
    paths = drawn.paths
    opportunity, slot = np.nonzero(paths.visible)
    stage = paths.stage[opportunity, slot]
    owner = drawn.owner[opportunity]
    return pa.table(
        {
            "Id": salesforce_ids(
                "history", ID_COUNTER_START + first_history, len(opportunity)
            ),
            "OpportunityId": ids.take(pa.array(opportunity)),
            "CreatedById": company.seller_ids.take(pa.array(owner)),
            "CreatedDate": timestamps(paths.entered[opportunity, slot]),
            "StageName": pick(STAGE_NAMES, stage),
            "Amount": pa.array(amounts[opportunity, slot], pa.int64()),
            "Probability": pa.array(PROBABILITIES[stage], pa.int64()),
            "CloseDate": dates(close_days[opportunity, slot]),
            "ForecastCategory": pick(FORECAST_CATEGORIES, stage),
            "IsDeleted": pa.array(drawn.deleted[opportunity]),
        }
    )
