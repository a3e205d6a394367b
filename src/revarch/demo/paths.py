"""Simulated stage paths: which stages each opportunity visits, and when.

Each opportunity gets a fixed row of slots, in time order. Per process stage
there are four slots: the visit itself, a repeated row of the same stage (an
amount or close-date change), a move back to an earlier stage and the return
to this one. Three slots follow the stages: the first close (won or lost), a
reopened stage and the final close. A slot is ``used`` or not, and the used
slots entered on or before the end of the history are the exported history
rows (``visible``). Everything is a numpy array with one row per opportunity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from revarch.demo.company import SECONDS_PER_DAY
from revarch.demo.stages import ADVANCE, EXPECTED_DAYS, LOST, STAGE_COUNT, WON

VISIT, REPEAT, BACK, RETURN = 0, 1, 2, 3
SLOTS_PER_STAGE = 4
FIRST_CLOSE = STAGE_COUNT * SLOTS_PER_STAGE
REOPEN = FIRST_CLOSE + 1
FINAL_CLOSE = FIRST_CLOSE + 2
SLOTS = FIRST_CLOSE + 3
VISIT_SLOTS = np.arange(STAGE_COUNT) * SLOTS_PER_STAGE + VISIT
REPEAT_SLOTS = VISIT_SLOTS + REPEAT
BACK_SLOTS = VISIT_SLOTS + BACK
RETURN_SLOTS = VISIT_SLOTS + RETURN

# Chances per opportunity (or per stage, where named) of each irregularity.
SKIP_CHANCE = 0.06  # per stage strictly between the first and the last reached
REPEAT_CHANCE = 0.10  # per visited stage
BACK_CHANCE = 0.10  # among opportunities that reached the fourth stage
REOPEN_CHANCE = 0.05  # among lost opportunities that reached the third stage
REOPEN_WIN_CHANCE = 0.45
STALL_CHANCE = 0.12  # the last stage reached takes 3-8 times as long
# How strongly skill bends the advance chances: chance ** (1 / strength ** k).
SKILL_EXPONENT = 0.8
# Close dates move out by this many days at each repeated row.
CLOSE_DATE_PUSH_DAYS = 30


@dataclass
class Fates:
    """How far each opportunity gets, and its irregular moves."""

    last_stage: np.ndarray
    won: np.ndarray
    visit: np.ndarray
    repeat: np.ndarray
    back_from: np.ndarray
    back_to: np.ndarray
    has_back: np.ndarray
    reopen: np.ndarray
    reopen_won: np.ndarray


@dataclass
class Paths:
    """Stage codes, use and timing of every slot of every opportunity."""

    stage: np.ndarray
    used: np.ndarray
    seconds: np.ndarray
    entered: np.ndarray
    visible: np.ndarray
    last_slot: np.ndarray

    @property
    def rows(self) -> np.ndarray:
        return np.arange(len(self.stage))

    @property
    def current_stage(self) -> np.ndarray:
        """Return the stage code of the latest visible row of each opportunity."""
        return np.asarray(self.stage[self.rows, self.last_slot], dtype=np.int64)


def _furthest(rng: np.random.Generator, strength: np.ndarray) -> np.ndarray:
    """Return the first stage not passed (STAGE_COUNT when every stage was)."""
    exponent = 1.0 / strength**SKILL_EXPONENT
    chance = ADVANCE[None, :] ** exponent[:, None]
    advanced = rng.random((len(strength), STAGE_COUNT)) < chance
    return np.asarray(np.cumprod(advanced, axis=1).sum(axis=1), dtype=np.int64)


def _skips(rng: np.random.Generator, last_stage: np.ndarray) -> np.ndarray:
    """Mark at most one skipped stage per opportunity, never the first or last."""
    count = len(last_stage)
    index = np.arange(STAGE_COUNT)
    allowed = (index >= 1) & (index < last_stage[:, None])
    drawn = allowed & (rng.random((count, STAGE_COUNT)) < SKIP_CHANCE)
    skip = np.zeros_like(drawn)
    rows = np.flatnonzero(drawn.any(axis=1))
    skip[rows, np.argmax(drawn[rows], axis=1)] = True
    return skip


def draw_fates(rng: np.random.Generator, strength: np.ndarray) -> Fates:
    """Draw each opportunity's furthest stage, outcome and irregular moves."""
    count = len(strength)
    furthest = _furthest(rng, strength)
    last_stage = np.minimum(furthest, STAGE_COUNT - 1)
    won = furthest == STAGE_COUNT

    reached = np.arange(STAGE_COUNT) <= last_stage[:, None]
    visit = reached & ~_skips(rng, last_stage)

    has_back = (last_stage >= 3) & (rng.random(count) < BACK_CHANCE)
    back_from = rng.integers(3, np.maximum(last_stage, 3) + 1)
    back_to = back_from - rng.integers(1, 3, count)
    rows = np.flatnonzero(has_back)
    visit[rows, back_from[rows]] = True

    repeat = visit & (rng.random((count, STAGE_COUNT)) < REPEAT_CHANCE)
    reopen = ~won & (last_stage >= 2) & (rng.random(count) < REOPEN_CHANCE)
    reopen_won = reopen & (rng.random(count) < REOPEN_WIN_CHANCE)
    return Fates(
        last_stage, won, visit, repeat, back_from, back_to, has_back, reopen, reopen_won
    )


def _slot_stages(fates: Fates) -> tuple[np.ndarray, np.ndarray]:
    """Return the stage code and the used flag of every slot."""
    count = len(fates.last_stage)
    stage = np.zeros((count, SLOTS), dtype=np.int64)
    used = np.zeros((count, SLOTS), dtype=bool)
    stage[:, VISIT_SLOTS] = np.arange(STAGE_COUNT)
    used[:, VISIT_SLOTS] = fates.visit
    stage[:, REPEAT_SLOTS] = np.arange(STAGE_COUNT)
    used[:, REPEAT_SLOTS] = fates.repeat
    backs = fates.has_back[:, None] & (
        fates.back_from[:, None] == np.arange(STAGE_COUNT)
    )
    stage[:, BACK_SLOTS] = fates.back_to[:, None]
    used[:, BACK_SLOTS] = backs
    stage[:, RETURN_SLOTS] = np.arange(STAGE_COUNT)
    used[:, RETURN_SLOTS] = backs

    stage[:, FIRST_CLOSE] = np.where(fates.won, WON, LOST)
    used[:, FIRST_CLOSE] = True
    stage[:, REOPEN] = fates.last_stage
    used[:, REOPEN] = fates.reopen
    stage[:, FINAL_CLOSE] = np.where(fates.reopen_won, WON, LOST)
    used[:, FINAL_CLOSE] = fates.reopen
    return stage, used


def _slot_days(
    rng: np.random.Generator, fates: Fates, strength: np.ndarray
) -> np.ndarray:
    """Draw how many days each slot lasts before the next row."""
    count = len(strength)
    rows = np.arange(count)
    speed = strength**0.3
    stage_days = EXPECTED_DAYS * rng.lognormal(0.0, 0.6, (count, STAGE_COUNT))
    stage_days /= speed[:, None]

    # Lost opportunities linger in their last stage; some open ones stall.
    linger = np.where(fates.won, 1.0, 1.5)
    stall = np.where(rng.random(count) < STALL_CHANCE, rng.uniform(3, 8, count), 1.0)
    stage_days[rows, fates.last_stage] *= linger * stall

    split = np.where(fates.repeat, rng.uniform(0.25, 0.75, (count, STAGE_COUNT)), 1.0)
    days = np.zeros((count, SLOTS))
    days[:, VISIT_SLOTS] = stage_days * split
    days[:, REPEAT_SLOTS] = stage_days * (1.0 - split)
    back_days = EXPECTED_DAYS[fates.back_to] * rng.lognormal(-0.5, 0.5, count)
    days[:, BACK_SLOTS] = back_days[:, None]
    days[:, RETURN_SLOTS] = EXPECTED_DAYS * rng.lognormal(
        -0.5, 0.5, (count, STAGE_COUNT)
    )
    days[:, FIRST_CLOSE] = rng.uniform(7, 60, count)
    days[:, REOPEN] = rng.lognormal(np.log(14), 0.5, count)
    return days


def simulate_paths(
    rng: np.random.Generator,
    fates: Fates,
    strength: np.ndarray,
    created: np.ndarray,
    end_instant: int,
) -> Paths:
    """Time every slot from the creation instant and cut the history at its end."""
    stage, used = _slot_stages(fates)
    days = _slot_days(rng, fates, strength)
    seconds = np.where(used, np.round(days * SECONDS_PER_DAY), 0).astype(np.int64)
    entered = created[:, None] + np.cumsum(seconds, axis=1) - seconds
    visible = used & (entered <= end_instant)
    last_slot = SLOTS - 1 - np.argmax(visible[:, ::-1], axis=1)
    return Paths(stage, used, seconds, entered, visible, last_slot)


def row_close_days(paths: Paths, planned_day: np.ndarray) -> np.ndarray:
    """Return the close date each slot's history row carries, as day numbers.

    Stage rows carry the planned close date, pushed out at every repeated
    row; close rows carry their own date; a reopened row a month later.
    """
    pushes = np.cumsum(paths.visible & _is_repeat_slot(), axis=1)
    close = planned_day[:, None] + CLOSE_DATE_PUSH_DAYS * pushes
    entered_day = paths.entered // SECONDS_PER_DAY
    close = np.where(paths.stage >= WON, entered_day, close)
    close[:, REOPEN] = entered_day[:, REOPEN] + CLOSE_DATE_PUSH_DAYS
    return close


def row_amounts(
    rng: np.random.Generator, paths: Paths, fates: Fates, first_amount: np.ndarray
) -> np.ndarray:
    """Return the amount of each slot's row: it changes at every repeated row."""
    factor = np.ones(paths.stage.shape)
    change = rng.lognormal(0.0, 0.2, fates.repeat.shape)
    factor[:, REPEAT_SLOTS] = np.where(fates.repeat, change, 1.0)
    amounts = first_amount[:, None] * np.cumprod(factor, axis=1)
    return np.asarray(np.maximum(np.round(amounts, -2), 100), dtype=np.int64)


def _is_repeat_slot() -> np.ndarray:
    mask = np.zeros(SLOTS, dtype=bool)
    mask[REPEAT_SLOTS] = True
    return mask
