"""The ward survey's figures: people screened per area and member, at risk found by indicator and
category, registered as cases, counselled — for a round, the club's dashboard and monthly meeting,
and the supervisor's area (counts only, suppressed there by the caller through area.py).

What counts: approved screenings (as every figure, entries waiting for review never count), on
the date of the screening. A person is at risk when the member recorded a medium or high risk
level; registered when a case was registered from the screening.
"""
from peewee import fn
from peewee import Case as SQLCase

from .. import vocab
from ..vocab import APPROVED
from ...models import Screening, User

AT_RISK_LEVELS = ("medium", "high")
COUNTS = ("screened", "at_risk", "registered", "counselled")


def _ids(clubs):
    return [getattr(c, "id", c) for c in clubs]


def _approved(club_ids, start=None, end=None, round_=None):
    where = Screening.club.in_(club_ids or [0]) & (Screening.review_status == APPROVED)
    if start is not None:
        where &= Screening.screened_on >= start
    if end is not None:
        where &= Screening.screened_on <= end
    if round_ is not None:
        where &= Screening.round == round_
    return where


def _counts(group, where):
    """{group value: {screened, at_risk, registered, counselled}} of the screenings `where`."""
    def flag(condition):
        return fn.SUM(SQLCase(None, [(condition, 1)], 0))

    rows = (Screening
            .select(group.alias("key"), fn.COUNT(Screening.id).alias("screened"),
                    flag(Screening.risk_level.in_(AT_RISK_LEVELS)).alias("at_risk"),
                    flag(Screening.registered_case.is_null(False)).alias("registered"),
                    flag(Screening.counselled == True).alias("counselled"))  # noqa: E712
            .where(where)
            .group_by(group)
            .dicts())
    return {row["key"]: {name: int(row[name] or 0) for name in COUNTS} for row in rows}


def _zero():
    return dict.fromkeys(COUNTS, 0)


def reach(clubs, start, end):
    """How far each club's survey reached from `start` to `end` (dates, both included):
    {club id: {"screened", "at_risk", "registered", "counselled"}}, every club listed (zeros when
    none). Counts are exact: a supervisor's page suppresses them (area.suppress)."""
    ids = _ids(clubs)
    counts = _counts(Screening.club, _approved(ids, start, end))
    return {club_id: counts.get(club_id, _zero()) for club_id in ids}


def by_indicator(where):
    """{indicator: people screened with it}, every indicator listed.

    The answers are a list in one column (a JSON list), so they are counted here from that column
    alone: a ward's survey is some hundreds of people."""
    counts = dict.fromkeys(vocab.RISK_INDICATORS.codes, 0)
    for (indicators,) in Screening.select(Screening.indicators).where(where).tuples():
        for code in set(indicators or ()):
            if code in counts:
                counts[code] += 1
    return counts


def survey_figures(club_ids, start=None, end=None, round_=None):
    """The survey's figures of the clubs (or of one round): totals, and per area, member,
    category (with those at risk) and indicator."""
    where = _approved(_ids(club_ids), start, end, round_)
    total = _counts(Screening.club, where)
    totals = _zero()
    for row in total.values():
        for name in COUNTS:
            totals[name] += row[name]
    members = _counts(Screening.created_by, where)
    names = {u.id: str(u) for u in User.select().where(User.id.in_(list(members) or [0]))}
    categories = _counts(Screening.category, where)
    return dict(
        total=totals,
        areas=sorted(_counts(Screening.area, where).items()),
        members=sorted(((names.get(k, "—"), v) for k, v in members.items()),
                       key=lambda item: item[0]),
        categories=[(code, label, categories.get(code, _zero()))
                    for code, label in vocab.CASE_CATEGORIES.choices()],
        indicators=[(code, vocab.RISK_INDICATORS.label(code), n)
                    for code, n in by_indicator(where).items()],
    )
