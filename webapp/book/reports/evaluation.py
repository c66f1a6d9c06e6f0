"""The province's evaluation of the pilot: each club of an area, month by month over the pilot's
period, against its yearly targets — de-identified, small counts suppressed as on every area page.

Nothing is counted anew here. A month's consultations, people mobilised and referrals are the area
report's (`area_report`, one per calendar year the period touches), so a month shows exactly what
the area's month-by-month page shows; completed referrals (`referrals_by` status) and the survey's
reach (`survey.reach`) are counted by month and suppressed against the year's figure the area page
shows; the referred share and the members are `club_figures` of the month or of the period, and
"met" is `target_progress` against targets pro-rated to the period (see `prorated_targets`),
shown beside a count hidden as "<5" or "*" only where it tells nothing of it (`count_met`, with
what the area pages tell of a total: `_known_range`).

A period can be chosen, so two periods a month apart would give that month's count away by
subtraction if their totals were exact. A total over the period is therefore shown only as the
area pages already give it away (`_portion`, `_shown_total`): exact when every month of it is
shown exactly, or a year's total and every other month of that year; otherwise as that one year's
or month's figure is shown when the rest is 0, else HIDDEN.
"""
import calendar
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import fn

from ...invalid import Invalid
from ...models import Activity, Case, Club, Referral, Screening, Visit
from ..vocab import APPROVED, REFERRAL_STATUSES
from .area import (
    ANY_COUNT, HIDDEN, SMALL, area_report, count_met, exact_sum, referred_share, share_met,
    suppress, suppress_parts,
)
from .figures import Period, club_figures, referrals_by
from .survey import reach
from .targets import target_progress, targets_for

MAX_MONTHS = 60
COMPLETED = REFERRAL_STATUSES.codes.index("completed")
SERIES = ("consultations", "mobilised", "referrals")  # the area report's months
SURVEY = ("screened", "at_risk", "registered")  # the ward survey's reach (reports.survey)
COUNTS = SERIES + ("completed",) + SURVEY

NOTES = [
    (_l("Consultations"),
     _l("Approved visits of any kind, once each, on their date (as on the club's dashboard). The "
        "target for the period is the club's yearly target (100 to 150, set by the club for each "
        "year; 120 when not set) divided by 12 for each month, and for the current month only "
        "the share of its days gone by.")),
    (_l("People mobilised per member"),
     _l("Approved attendances at activities, recorded with the member who brought the person, "
        "divided by the club's active members today. The target is the club's yearly number per "
        "member (2 when not set), pro-rated over the months the same way.")),
    (_l("Referred share"),
     _l("Of the people the club worked with in the month (or the period), the share with an "
        "approved referral made in it, against the club's yearly target (50% when not set). It "
        "is not shown when fewer than 5 people were reached, or when 1 to 4 of them were "
        "referred or not referred: beside the people reached, it would give that count away. "
        "Whether its target was met is then not shown either (—), nor counted among the clubs "
        "that met it.")),
    (_l("Target met"),
     _l("Whether a club met its consultations or mobilisation target is shown beside a count "
        "shown as <5 or * only where it would be the same whatever that count is. A target "
        "pro-rated to a month or to the days gone by of this month, or of a club with few "
        "members, may be under 5, and \"met\" beside <5 would then tell the count. Otherwise it "
        "is not shown (—), nor counted among the clubs that met it.")),
    (_l("Referrals completed"),
     _l("Referrals made in the month (or the period) whose service was received: status "
        "completed.")),
    (_l("The survey's reach"),
     _l("Approved screenings of the ward survey, on their date: the people screened, those found "
        "at risk (a medium or high risk level) and those registered as a case from their "
        "screening.")),
    (_l("Small counts"),
     _l("Any count from 1 to 4 is shown as <5; a count shown as * is hidden only so that a count "
        "under 5 cannot be worked out from a total, here or on the area's other pages. Each "
        "month's consultations, people mobilised and referrals are those of the area's "
        "month-by-month page; a total over the chosen months is shown only when those pages "
        "already let anyone work it out (for the whole pilot or whole years it usually is), "
        "otherwise as *.")),
]


@dataclass(frozen=True)
class PilotPeriod:
    """The evaluated months, and where their default start came from ("setting" or "data")."""

    period: Period
    pilot_start: date
    source: str


# --- The period ----------------------------------------------------------------------------

def parse_month(text):
    """The first day of the month written "YYYY-MM" (as <input type="month"> sends it) or
    "MM/YYYY" (typed where a browser has no month picker), else None."""
    text = (text or "").strip()
    try:
        if "/" in text:
            month, year = (int(part) for part in text.split("/"))
        else:
            year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except (TypeError, ValueError):
        return None


def first_month(club_ids):
    """The month of the clubs' first record: a club set up, or an approved visit, referral,
    activity or screening (a club may enter work done before it had the app)."""
    if not club_ids:
        return None
    found = [
        Club.select(fn.MIN(Club.created_at)).where(Club.id.in_(club_ids)).scalar(),
        Visit.select(fn.MIN(Visit.date)).where(Visit.club.in_(club_ids)
                                               & (Visit.review_status == APPROVED)).scalar(),
        Referral.select(fn.MIN(Referral.referred_on))
        .where(Referral.club.in_(club_ids) & (Referral.review_status == APPROVED)).scalar(),
        Activity.select(fn.MIN(Activity.date))
        .where(Activity.club.in_(club_ids) & (Activity.review_status == APPROVED)).scalar(),
        Case.select(fn.MIN(Case.created_at))
        .where(Case.club.in_(club_ids) & (Case.review_status == APPROVED)).scalar(),
        Screening.select(fn.MIN(Screening.screened_on))
        .where(Screening.club.in_(club_ids) & (Screening.review_status == APPROVED)).scalar(),
    ]
    days = [_as_date(value) for value in found if value]
    return min(days).replace(day=1) if days else None


def _as_date(value):
    if isinstance(value, str):  # SQLite answers MIN() of a date column as text
        value = date.fromisoformat(value[:10])
    return value if type(value) is date else value.date()


def pilot_start(clubs, today, configured=None):
    """(first month of the pilot, "setting" | "data"): the installation's PILOT_START ("YYYY-MM")
    when set, else the month of the area's first record, never after this month."""
    this_month = today.replace(day=1)
    start = parse_month(configured) if configured else None
    if start is not None:
        return min(start, this_month), "setting"
    found = first_month([club.id for club in clubs]) or this_month
    back = this_month.year * 12 + this_month.month - MAX_MONTHS  # MAX_MONTHS, this one included
    earliest = date(back // 12, back % 12 + 1, 1)
    return min(max(found, earliest), this_month), "data"


def choose_period(clubs, today, start_text=None, end_text=None, configured=None):
    """The months to evaluate: by default the pilot's first month to this month, or the months
    chosen, checked. Raises Invalid (keyed "start" / "end") with a message to show."""
    default_start, source = pilot_start(clubs, today, configured)
    this_month = today.replace(day=1)
    errors = {}
    start = parse_month(start_text) if start_text else default_start
    end = parse_month(end_text) if end_text else this_month
    if start is None or not 2000 <= start.year <= 2100:
        errors["start"] = _l("Choose the first month (month and year).")
    if end is None or not 2000 <= end.year <= 2100:
        errors["end"] = _l("Choose the last month (month and year).")
    if not errors:
        if end > this_month:
            errors["end"] = _l("The period cannot end after this month (%(month)s).",
                               month=this_month.strftime("%m/%Y"))
        elif start > end:
            errors["start"] = _l("The first month must not come after the last.")
        elif months_between(start, end) > MAX_MONTHS:
            errors["start"] = _l("Choose at most %(n)d months.", n=MAX_MONTHS)
    if errors:
        raise Invalid(errors)
    period = Period(start, Period.month(end.year, end.month).end)
    return PilotPeriod(period, default_start, source)


def months_between(start, end):
    """How many calendar months from `start`'s to `end`'s, both included."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


# --- Targets -------------------------------------------------------------------------------

def month_share(month, today):
    """How much of a month's target is due by today: 1 for a month over, the days gone by for this
    month (today included), 0 for a month to come."""
    if month.end < today:
        return 1
    if month.start > today:
        return 0
    days = calendar.monthrange(month.start.year, month.start.month)[1]
    return ((today - month.start).days + 1) / days


def prorated_targets(club, months, today, cache=None):
    """The club's targets for `months` (each year's of the club): each month 1/12 of the year's
    consultations and people per member (the current month by its days gone by); the referred
    share, a share whatever the length, as the average of the months'."""
    cache = {} if cache is None else cache
    consultations = per_member = percent = 0
    for month in months:
        year = month.start.year
        if (club.id, year) not in cache:
            cache[club.id, year] = targets_for(club, year)
        target, share = cache[club.id, year], month_share(month, today)
        consultations += target.consultations * share / 12
        per_member += target.mobilised_per_member * share / 12
        percent += target.referred_percent
    return SimpleNamespace(consultations=consultations, mobilised_per_member=per_member,
                           referred_percent=round(percent / len(months)) if months else 0)


# --- The evaluation ------------------------------------------------------------------------

def _months_against(raw, total_shown):
    """A year's counts per month (completed referrals, the survey's reach), suppressed against
    the year's figure as the area page shows it: parts of a total, or all hidden when that total
    is (a completed count may be hidden among the statuses)."""
    if total_shown == HIDDEN:
        return [HIDDEN if n else 0 for n in raw]
    return suppress_parts(raw, sum(raw))


def _portion(shown, raw, inside, total_shown):
    """(the sum over the months `inside` of one year, that sum as the area pages already give it
    away): exact when every month inside is shown exactly, or the year's total and every month
    outside it; the year's total as shown when every month outside is 0 (the sum is the year's);
    the one month inside not shown exactly when the others are 0; else None (not to be shown)."""
    value = sum(raw[i] for i in inside)
    exact = [isinstance(v, int) for v in shown]
    outside = [i for i in range(len(shown)) if i not in inside]
    if all(exact[i] for i in inside) or (isinstance(total_shown, int)
                                         and all(exact[i] for i in outside)):
        return value, value
    if all(shown[i] == 0 for i in outside):
        return value, total_shown
    unknown = [shown[i] for i in inside if not exact[i]]
    if len(unknown) == 1 and not any(shown[i] for i in inside if exact[i]):
        return value, unknown[0]
    return value, None


def _shown_total(portions):
    """A total over the period from its years' portions: suppressed when every portion is known
    exactly; the one portion not known exactly, as it is shown, when every other is 0 (the total
    is that portion); else HIDDEN — a "<5" beside exact portions would be given away by
    subtraction."""
    if all(isinstance(shown, int) for _v, shown in portions):
        return suppress(sum(v for v, _shown in portions))
    inexact = [shown for _v, shown in portions if not isinstance(shown, int)]
    if len(inexact) == 1 and inexact[0] is not None and not any(
            shown for _v, shown in portions if isinstance(shown, int)):
        return inexact[0]
    return HIDDEN


def _known_range(portions, totals):
    """(least, most) a reader can tell of a total over the period that is not shown exactly:
    each year's portion as the area pages give it away (_portion) — exact, or "<5" (1 to 4) —
    else at least 0 and at most that year's total as the area page shows it (`totals`)."""
    least = most = 0
    for (_value, shown), total in zip(portions, totals):
        if isinstance(shown, int):
            least, most = least + shown, most + shown
        elif shown == SMALL:
            least, most = least + 1, most + 4
        else:
            most += total if isinstance(total, int) else 4 if total == SMALL else float("inf")
    return least, most


def _per_member(mobilised_shown, mobilised, members):
    """People mobilised per active member, to one decimal: only where the count is shown exactly
    (a quotient would give a hidden count away)."""
    if not members or not isinstance(mobilised_shown, int):
        return None if not members else HIDDEN
    return round(mobilised / members, 1)


def _measure(figures, shown, targets, period, today, known=None):
    """One line of the evaluation (a month, or the whole period) of one club; `known`: what a
    reader can tell of a count shown as HIDDEN ({name: (least, most)}; by default nothing)."""
    done = target_progress(targets, figures, period, today)
    known = known or {}
    members = figures["members"]
    return dict(
        **shown,
        consultations_target=targets.consultations,
        # Beside a hidden count, only where it tells nothing of it (count_met).
        consultations_met=count_met(shown["consultations"], targets.consultations,
                                    done["consultations"]["met"],
                                    known.get("consultations", ANY_COUNT)),
        per_member=_per_member(shown["mobilised"], figures["mobilised"], members),
        per_member_target=targets.mobilised_per_member,
        mobilised_met=count_met(shown["mobilised"], done["mobilised"]["target"],
                                bool(members) and done["mobilised"]["met"],
                                known.get("mobilised", ANY_COUNT)),
        share=referred_share(figures), share_target=targets.referred_percent,
        share_met=share_met(figures, done["referred"]["met"]),
    )


def pilot_evaluation(clubs, chosen, today):
    """Each club of `clubs` over `chosen` (a PilotPeriod), month by month and in total, against
    its targets pro-rated to the months; every count suppressed (no names, no case content)."""
    period = chosen.period
    months = period.months()
    ids = [club.id for club in clubs]
    years = list(range(period.start.year, period.end.year + 1))
    area = {year: area_report(clubs, year)["rows"] for year in years}
    # Counts the area page shows only for the year (completed among the referrals' statuses, the
    # survey's reach): month by month here, suppressed against the year's (_months_against).
    by_month = {}
    for year in years:
        in_year = Period.year(year).months()
        statuses = [referrals_by(Referral.status, ids, m) for m in in_year]
        reached = [reach(clubs, m.start, m.end) for m in in_year]
        by_month[year] = {cid: dict(completed=[s[cid].get("completed", 0) for s in statuses],
                                    **{name: [r[cid][name] for r in reached] for name in SURVEY})
                          for cid in ids}
    of_month = {m.start: club_figures(ids, m) for m in months}
    whole = club_figures(ids, period)
    cache = {}
    rows, raw_figures = [], []  # the raw counts stay here: only what is shown leaves
    for i, club in enumerate(clubs):
        lines = []
        portions, year_totals = {name: [] for name in COUNTS}, {name: [] for name in COUNTS}
        for year in years:
            yearly = area[year][i]
            totals = dict({name: yearly[name] for name in SERIES},
                          completed=yearly["statuses"][COMPLETED][1],
                          **{name: yearly[f"survey_{name}"] for name in SURVEY})
            raw = dict({name: [0] * 12 for name in SERIES}, **by_month[year][club.id])
            inside = [m for m in months if m.start.year == year]
            for m in inside:
                for name in SERIES:
                    raw[name][m.start.month - 1] = of_month[m.start][club.id][name]
            shown = dict(yearly["series"], **{name: _months_against(raw[name], totals[name])
                                              for name in ("completed",) + SURVEY})
            index = [m.start.month - 1 for m in inside]
            for name in COUNTS:
                portions[name].append(_portion(shown[name], raw[name], index, totals[name]))
                year_totals[name].append(totals[name])
            for m in inside:
                lines.append(dict(month=m, **_measure(
                    of_month[m.start][club.id],
                    {name: shown[name][m.start.month - 1] for name in COUNTS},
                    prorated_targets(club, [m], today, cache), m, today)))
        figures = dict(whole[club.id], completed=sum(value for value, _s in portions["completed"]))
        total = _measure(figures, {name: _shown_total(portions[name]) for name in COUNTS},
                         prorated_targets(club, months, today, cache), period, today,
                         {name: _known_range(portions[name], year_totals[name])
                          for name in ("consultations", "mobilised")})
        rows.append(dict(club=club.name, months=lines, total=total))
        raw_figures.append(figures)
    return dict(period=period, pilot_start=chosen.pilot_start, source=chosen.source,
                months=months, rows=rows, total=_area_total(rows, raw_figures), today=today)


def _area_total(rows, raw_figures):
    """The area's column: counts summed only where every club's is shown exactly (exact_sum),
    targets summed, the share of all the clubs' people together."""
    if not rows:
        return None
    members = sum(f["members"] for f in raw_figures)
    totals = {name: exact_sum([row["total"][name] for row in rows]) for name in COUNTS}
    mobilised = sum(f["mobilised"] for f in raw_figures)
    pooled = {key: sum(f[key] for f in raw_figures) for key in ("cases", "referred_cases")}
    return dict(
        **totals,
        consultations_target=sum(row["total"]["consultations_target"] for row in rows),
        per_member=_per_member(totals["mobilised"], mobilised, members),
        met={key: sum(1 for row in rows if row["total"][f"{key}_met"])
             for key in ("consultations", "mobilised", "share")},
        share=referred_share(pooled),
    )


# --- How it reads (the page and the export show the same lines) ----------------------------

# The survey's reach, the last columns of a month and lines of the summary.
SURVEY_COLUMNS = [
    ("screened", _l("People screened"), "count"),
    ("at_risk", _l("At risk found"), "count"),
    ("registered", _l("Registered as cases"), "count"),
]

# The columns of a club's months: (key, label, kind); `display` writes a value of each kind.
MONTH_COLUMNS = [
    ("consultations", _l("Consultations"), "count"),
    ("consultations_target", _l("Consultations target"), "target"),
    ("mobilised", _l("People mobilised"), "count"),
    ("per_member", _l("Mobilised per member"), "ratio"),
    ("per_member_target", _l("Target per member"), "target"),
    ("referrals", _l("Referrals"), "count"),
    ("completed", _l("Referrals completed"), "count"),
    ("share", _l("Referred share"), "share"),
    ("share_target", _l("Referred share target"), "share"),
] + SURVEY_COLUMNS

# The lines of the clubs side by side over the whole period: (key, label, kind).
SUMMARY_LINES = [
    ("consultations", _l("Consultations"), "count"),
    ("consultations_target", _l("Consultations target for the period"), "target"),
    ("consultations_met", _l("Consultations target met"), "met"),
    ("mobilised", _l("People mobilised"), "count"),
    ("per_member", _l("Mobilised per member"), "ratio"),
    ("per_member_target", _l("Target per member for the period"), "target"),
    ("mobilised_met", _l("Mobilisation target met"), "met"),
    ("referrals", _l("Referrals"), "count"),
    ("completed", _l("Referrals completed"), "count"),
    ("share", _l("Referred share"), "share"),
    ("share_target", _l("Referred share target"), "share"),
    ("share_met", _l("Referred share target met"), "met"),
] + SURVEY_COLUMNS
AREA_VALUES = {"consultations_met": ("met", "consultations"), "mobilised_met": ("met", "mobilised"),
               "share_met": ("met", "share")}


def side_by_side(data):
    """[(key, label, kind, [value of each club], the area's value or None)] over the period."""
    lines = []
    for key, label, kind in SUMMARY_LINES:
        area = data["total"] or {}
        if key in AREA_VALUES:
            outer, inner = AREA_VALUES[key]
            total = area.get(outer, {}).get(inner)
        else:
            total = area.get(key)
        lines.append((key, label, kind, [row["total"][key] for row in data["rows"]], total))
    return lines


def target_text(value):
    """A pro-rated target as people read it: whole when it is, else one decimal."""
    rounded = round(value, 1)
    return int(rounded) if rounded == int(rounded) else rounded


def display(value, kind, numbers=False):
    """A value of the evaluation as shown: counts as they are ("<5", "*"), targets and ratios to
    one decimal, shares in %, "met" in words; None (nothing to show) as a dash. With `numbers`
    (the spreadsheet), counts, targets and ratios stay numbers."""
    if value is None:
        return "—"
    if kind == "met":
        if isinstance(value, bool):
            return str(_("Met") if value else _("Not met"))
        return ngettext("%(num)d club met it", "%(num)d clubs met it", value)
    if kind == "share":
        return f"{value}%" if isinstance(value, int) else value
    if kind == "target":
        value = target_text(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value if numbers else format_decimal(value, format="#,##0.#")
    return value


__all__ = ["MAX_MONTHS", "MONTH_COLUMNS", "NOTES", "SUMMARY_LINES", "display", "side_by_side", "PilotPeriod", "choose_period", "pilot_evaluation", "first_month",
           "month_share", "months_between", "parse_month", "pilot_start", "prorated_targets",
           "target_text"]
