"""Task and Event rows for one chunk of opportunities.

Three sources of activity, all owned by the opportunity's seller:
- the required activities of each stage visit, each done with the seller's
  adherence (process discipline), sometimes more than once;
- follow-ups during a visit, more for active sellers and engaged buyers;
- prospecting touches in the month before the opportunity was created, not
  linked to it (Salesforce leaves ``WhatId`` empty).
So the sellers who visit more stages and win more also log more activity.
Meetings become Events. Calls, emails and LinkedIn touches become Tasks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from revarch.demo.columns import constant, dates, pick, timestamps
from revarch.demo.company import SECONDS_PER_DAY, working_hours
from revarch.demo.ids import ID_COUNTER_START, salesforce_ids
from revarch.demo.opportunities import Company, Opportunities
from revarch.demo.paths import REOPEN, REPEAT_SLOTS, VISIT_SLOTS
from revarch.demo.stages import (
    CALL,
    EMAIL,
    FOLLOW_UP_CODES,
    MAX_REQUIRED,
    MEETING,
    PROSPECTING_CODES,
    REQUIRED,
    SOCIAL,
    SUBJECT_KINDS,
    SUBJECTS,
)

REPEAT_RATE = 0.2  # extra copies of a required activity, Poisson mean
FOLLOW_UP_RATE = 0.6  # follow-ups per visit for an average seller
PROSPECTING_RATE = 1.5  # prospecting touches per opportunity
PROSPECTING_DAYS = 30
CALL_SHARE = 0.35
MEETING_SHARE = 0.07
TASK_SUBTYPES = ("Call", "Email", "LinkedIn")
DISPOSITIONS = ("Connected", "Left voicemail", "No answer")
MEETING_MINUTES = np.array([30, 45, 60])


@dataclass
class Activities:
    """One chunk's Task and Event rows."""

    tasks: pa.Table
    events: pa.Table


@dataclass
class _Visits:
    """Stage visits that activities are logged in: one element per visit."""

    opportunity: np.ndarray
    stage: np.ndarray
    start: np.ndarray
    end: np.ndarray


@dataclass
class _Drawn:
    """Activities before they are split into Tasks and Events."""

    subject: np.ndarray
    opportunity: np.ndarray
    time: np.ndarray


def _visits(opportunities: Opportunities, end_instant: int) -> _Visits:
    """List the visible stage visits and reopenings, with their time spans."""
    paths = opportunities.paths
    slots = np.append(VISIT_SLOTS, REOPEN)
    spans = paths.seconds[:, slots].copy()
    spans[:, :-1] += paths.seconds[:, REPEAT_SLOTS]
    opportunity, column = np.nonzero(paths.visible[:, slots])
    start = paths.entered[opportunity, slots[column]]
    end = np.minimum(start + spans[opportunity, column], end_instant)
    stage = paths.stage[opportunity, slots[column]]
    return _Visits(opportunity, stage, start, end)


def _required(
    rng: np.random.Generator,
    company: Company,
    opportunities: Opportunities,
    visits: _Visits,
) -> tuple[np.ndarray, np.ndarray]:
    """Return (subject, visit index) of the required activities that were done."""
    required = REQUIRED[visits.stage]
    owner = opportunities.owner[visits.opportunity]
    chance = company.sellers.adherence[owner]
    chance *= np.sqrt(opportunities.engagement[visits.opportunity])
    done = (required >= 0) & (rng.random(required.shape) < chance[:, None])
    copies = done * (1 + rng.poisson(REPEAT_RATE, required.shape))
    visit = np.repeat(np.arange(len(visits.stage)), MAX_REQUIRED)
    return np.repeat(required.ravel(), copies.ravel()), np.repeat(visit, copies.ravel())


def _kinds(
    rng: np.random.Generator, social: np.ndarray, meeting_share: float
) -> np.ndarray:
    """Draw an activity kind per element from each seller's share of social."""
    draw = rng.random(len(social))
    return np.select(
        [draw < social, draw < social + CALL_SHARE, draw < 1 - meeting_share],
        [SOCIAL, CALL, EMAIL],
        MEETING,
    )


def _follow_ups(
    rng: np.random.Generator,
    company: Company,
    opportunities: Opportunities,
    visits: _Visits,
) -> tuple[np.ndarray, np.ndarray]:
    """Return (subject, visit index) of follow-ups logged during visits."""
    owner = opportunities.owner[visits.opportunity]
    rate = FOLLOW_UP_RATE * company.sellers.activity[owner]
    rate *= opportunities.engagement[visits.opportunity]
    visit = np.repeat(np.arange(len(owner)), rng.poisson(rate))
    kind = _kinds(rng, company.sellers.social[owner[visit]], MEETING_SHARE)
    return FOLLOW_UP_CODES[kind], visit


def _prospecting(
    rng: np.random.Generator, company: Company, opportunities: Opportunities
) -> _Drawn:
    """Draw unlinked prospecting touches in the month before each creation."""
    sellers = company.sellers
    rate = PROSPECTING_RATE * sellers.activity[opportunities.owner]
    source = np.repeat(np.arange(opportunities.count), rng.poisson(rate))
    owner = opportunities.owner[source]
    kind = _kinds(rng, np.minimum(1.5 * sellers.social[owner], 0.6), 0.0)
    before = rng.uniform(0, PROSPECTING_DAYS * SECONDS_PER_DAY, len(source))
    hired = (sellers.hire_day[owner] + 1) * SECONDS_PER_DAY
    created = opportunities.created[source]
    time = np.maximum(created - before.astype(np.int64), hired)
    time = working_hours(rng, time, np.minimum(hired, created), created)
    return _Drawn(PROSPECTING_CODES[kind], source, time)


def draw_activities(
    rng: np.random.Generator, company: Company, opportunities: Opportunities
) -> tuple[_Drawn, np.ndarray]:
    """Draw the chunk's activities, and whether each is linked to its opportunity."""
    visits = _visits(opportunities, company.window.end_instant)
    required, required_visit = _required(rng, company, opportunities, visits)
    follow_up, follow_up_visit = _follow_ups(rng, company, opportunities, visits)
    subject = np.concatenate([required, follow_up])
    visit = np.concatenate([required_visit, follow_up_visit])
    start, end = visits.start[visit], visits.end[visit]
    time = start + np.floor(rng.random(len(visit)) * (end - start)).astype(np.int64)
    time = working_hours(rng, time, start, end)
    prospecting = _prospecting(rng, company, opportunities)
    linked = np.concatenate(
        [np.ones(len(visit), dtype=bool), np.zeros(len(prospecting.time), dtype=bool)]
    )
    drawn = _Drawn(
        np.concatenate([subject, prospecting.subject]),
        np.concatenate([visits.opportunity[visit], prospecting.opportunity]),
        np.concatenate([time, prospecting.time]),
    )
    order = np.argsort(drawn.time, kind="stable")
    drawn = _Drawn(drawn.subject[order], drawn.opportunity[order], drawn.time[order])
    return drawn, linked[order]


def _masked(values: pa.Array, keep: np.ndarray) -> pa.Array:
    """Return ``values`` with nulls where ``keep`` is false."""
    return pc.if_else(pa.array(keep), values, pa.scalar(None, values.type))


def _call_details(
    rng: np.random.Generator, strength: np.ndarray, is_call: np.ndarray
) -> tuple[pa.Array, pa.Array]:
    """Draw call dispositions and durations (in seconds); null for other tasks."""
    count = len(strength)
    connect = np.clip(0.3 + 0.1 * np.log(strength), 0.1, 0.6)
    draw = rng.random(count)
    disposition = np.select([draw < connect, draw < connect + 0.35], [0, 1], 2)
    seconds = np.select(
        [disposition == 0, disposition == 1],
        [rng.lognormal(np.log(420), 0.6, count), rng.uniform(20, 60, count)],
        rng.uniform(0, 20, count),
    ).astype(np.int64)
    return (
        _masked(pick(DISPOSITIONS, disposition), is_call),
        pa.array(seconds, pa.int64(), mask=~is_call),
    )


def _what_ids(
    opportunities: Opportunities, drawn: _Drawn, linked: np.ndarray
) -> pa.Array:
    related = opportunities.ids.take(pa.array(drawn.opportunity))
    return _masked(related, linked)


def _tasks_table(
    rng: np.random.Generator,
    company: Company,
    opportunities: Opportunities,
    drawn: _Drawn,
    linked: np.ndarray,
    first: int,
) -> pa.Table:
    """Build Task rows: calls, emails and LinkedIn touches, all completed."""
    count = len(drawn.time)
    kind = SUBJECT_KINDS[drawn.subject]
    is_call = kind == CALL
    owner = opportunities.owner[drawn.opportunity]
    disposition, duration = _call_details(
        rng, opportunities.strength[drawn.opportunity], is_call
    )
    subtype = pick(TASK_SUBTYPES, kind)
    return pa.table(
        {
            "Id": salesforce_ids("task", ID_COUNTER_START + first, count),
            "WhatId": _what_ids(opportunities, drawn, linked),
            "OwnerId": company.seller_ids.take(pa.array(owner)),
            "Subject": pick(SUBJECTS, drawn.subject),
            "ActivityDate": dates(drawn.time // SECONDS_PER_DAY),
            "Status": constant("Completed", count),
            "Priority": constant("Normal", count),
            "TaskSubtype": subtype,
            "Type": subtype,
            "CallType": _masked(constant("Outbound", count), is_call),
            "CallDurationInSeconds": duration,
            "CallDisposition": disposition,
            "IsClosed": pa.array(np.ones(count, dtype=bool)),
            "IsDeleted": pa.array(np.zeros(count, dtype=bool)),
            "CreatedDate": timestamps(drawn.time),
        }
    )


def _events_table(
    rng: np.random.Generator,
    company: Company,
    opportunities: Opportunities,
    drawn: _Drawn,
    linked: np.ndarray,
    first: int,
) -> pa.Table:
    """Build Event rows: meetings on the half hour, booked a few days ahead."""
    count = len(drawn.time)
    start = drawn.time - drawn.time % 1800
    booked = start - rng.integers(3600, 5 * SECONDS_PER_DAY, count)
    owner = opportunities.owner[drawn.opportunity]
    minutes = MEETING_MINUTES[rng.integers(0, len(MEETING_MINUTES), count)]
    return pa.table(
        {
            "Id": salesforce_ids("event", ID_COUNTER_START + first, count),
            "WhatId": _what_ids(opportunities, drawn, linked),
            "OwnerId": company.seller_ids.take(pa.array(owner)),
            "Subject": pick(SUBJECTS, drawn.subject),
            "Type": constant("Meeting", count),
            "ActivityDateTime": timestamps(start),
            "ActivityDate": dates(start // SECONDS_PER_DAY),
            "DurationInMinutes": pa.array(minutes, pa.int64()),
            "IsDeleted": pa.array(np.zeros(count, dtype=bool)),
            "CreatedDate": timestamps(booked),
        }
    )


def generate_activities(
    rng: np.random.Generator,
    company: Company,
    opportunities: Opportunities,
    *,
    first_task: int,
    first_event: int,
) -> Activities:
    """Generate the chunk's activities as Task and Event tables."""
    drawn, linked = draw_activities(rng, company, opportunities)
    meeting = SUBJECT_KINDS[drawn.subject] == MEETING

    def part(mask: np.ndarray) -> tuple[_Drawn, np.ndarray]:
        selected = _Drawn(
            drawn.subject[mask], drawn.opportunity[mask], drawn.time[mask]
        )
        return selected, linked[mask]

    tasks, task_linked = part(~meeting)
    events, event_linked = part(meeting)
    return Activities(
        tasks=_tasks_table(rng, company, opportunities, tasks, task_linked, first_task),
        events=_events_table(
            rng, company, opportunities, events, event_linked, first_event
        ),
    )
