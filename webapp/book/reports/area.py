"""The supervisor's view of an area: de-identified figures of its clubs, small counts hidden."""
from .. import vocab
from ...models import Club, Referral
from ..referrals import SUCCESSFUL_OUTCOMES
from .figures import (
    REFERRAL_OUTCOMES, REFERRAL_STATUSES, Period, cases_reached_by_category, club_figures,
    labelled_counts, monthly_series, referrals_by,
)
from .survey import monthly_reach, survey_figures
from .targets import target_progress, targets_for

SURVEY_COUNTS = ("screened", "at_risk", "registered", "counselled")
# The survey's counts shown month by month (the month-by-month page, the export).
SURVEY_MONTHLY = ("screened", "at_risk", "registered")


def suppress(value):
    """What a supervisor may see of a count of people or entries: 1 to 4 become "<5".

    The one place small counts are hidden; every area page and export goes through it.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        return value
    return SMALL if 1 <= value <= 4 else value


SMALL = "<5"
HIDDEN = "*"  # a count hidden only so that a small one cannot be worked out from a total
SHARE_FLOOR = 5  # a share of fewer people than this is not shown: it would name a small count


def referred_share(figures):
    """The referred share in % of club_figures' `figures`, as a supervisor may see it: None (not
    shown) when fewer than SHARE_FLOOR people were reached, or when the people referred or those
    not referred are 1 to 4: beside the people reached (shown on the area page) the share would
    give that small count away."""
    cases, referred = figures["cases"], figures["referred_cases"]
    if cases < SHARE_FLOOR or SMALL in (suppress(referred), suppress(cases - referred)):
        return None
    return round(100 * referred / cases)


def share_met(figures, met):
    """Whether the referred share's target was `met`, as a supervisor may see it: None (not
    shown) wherever the share is not (referred_share), since beside the people reached "met"
    tells what the share hides (a 90% target met by 10 people: at most 1 not referred, and the
    share hidden: exactly 1)."""
    return None if referred_share(figures) is None else met


ANY_COUNT = (0, float("inf"))  # what a reader can tell of a hidden count by default: nothing


def count_met(shown, target, met, known=ANY_COUNT):
    """Whether a count's `target` was `met`, as a supervisor may see it beside the count as
    `shown` (suppress, suppress_parts): beside a count shown exactly, as it is; beside a hidden
    one only where it is the same whatever that count is — "<5" any count from 1 to 4, "*" any
    count `known` allows (the least and the most a reader can tell it is from the other figures
    shown; by default any at all, 0 too: a small total's parts may all be "*") — else None (not
    shown). A target may be small (pro-rated to a month or to the days of this month, or a few
    members at 2 people each): "met" beside "<5" against 3.3 consultations says 4, against 2
    people "at least 2"; "not met" against 10 beside a month's "*" puts it under 10, and so the
    "<5" month beside it (the two adding up to the year's total) over some value."""
    if shown == SMALL:
        least, most = 1, 4
    elif shown == HIDDEN:
        least, most = known
    else:
        return met
    return met if (least >= target) == (most >= target) else None


def suppress_parts(parts, total, limits=()):
    """Suppress counts that add up to `total` (shown beside them) so that no hidden one can be
    worked out by subtraction: `suppress` each, then, while the total and the shown counts pin a
    hidden count down to one value (one "<5" alone; or "<5", "<5", 10 of 12, where both must be 1),
    hide the smallest count still shown as well (HIDDEN). Parts that may add up to less than the
    total are treated the same: the reader may know the rest. `limits` are what else a reader
    knows of them (see worked_out). Returns the parts as shown.

    A total shown as "<5" is 1 to 4 to the reader, and its parts are shown as they are (0 or
    "<5") unless even that pins one (four "<5" parts must each be 1): then none is shown, 0s
    included (every part HIDDEN), since how many are above 0 would say it.
    """
    shown = [suppress(n) for n in parts]
    if suppress(total) == SMALL:
        return [HIDDEN] * len(parts) if worked_out(shown, 1, limits, most=4) else shown
    while any(value == SMALL for value in shown) and worked_out(shown, total, limits):
        others = [i for i, n in enumerate(parts)
                  if shown[i] not in (SMALL, HIDDEN) and isinstance(n, int) and n > 0]
        if not others:
            # Nothing left to hide: "<5" itself says too much, so every hidden count is "*".
            return [HIDDEN if value == SMALL else value for value in shown]
        shown[min(others, key=lambda i: (parts[i], i))] = HIDDEN
    return shown


def hidden_parts(parts):
    """Parts of a count that is itself hidden (HIDDEN): every one above 0 is hidden too, since a
    part shown exactly, or as "<5", would tell more of that count than its "*" does."""
    return [HIDDEN if n else 0 for n in parts]


def referral_parts(statuses, outcomes, total, successful=()):
    """(statuses as shown, outcomes as shown) of a club's `total` referrals: `statuses` the counts
    referred, accepted, completed and declined (REFERRAL_STATUSES), `outcomes` those of each
    outcome, `successful` the indices of the outcomes only a completed referral has (received
    the service, partly). Only an ended referral (completed or declined) has an outcome, so the
    outcomes add up to the ended ones, not to `total`, and the successful ones to at most the
    completed: the two sets tell of those counts.

    The statuses are parts of the total (suppress_parts). The outcomes are parts of the ended
    referrals, the successful ones at most what the statuses leave for completed: suppressed so,
    and shown so only when they tell no more than the statuses already do of how many ended, of
    the completed (at least the successful outcomes) and of the declined (at most the others),
    else a hidden status could be worked out from the outcomes; otherwise every outcome above 0
    is hidden (hidden_parts), or every outcome where even how many of them are above 0 would tell
    more. Where a small total's statuses are all hidden (0s too), so are the outcomes.
    """
    shown = suppress_parts(statuses, total)
    small = suppress(total) == SMALL
    if small and HIDDEN in shown:  # not even which statuses are above 0 is shown
        return shown, [HIDDEN] * len(outcomes)
    # What the statuses tell of the ended count: completed + declined, and the total (1 to 4
    # where it is shown as "<5") less the referrals still open; then of completed and declined.
    total_least, total_most = (1, 4) if small else (total, total)
    least, most = sum_range(shown[2:], shown)
    open_least, open_most = sum_range(shown[:2], shown)
    least, most = max(least, total_least - open_most), min(most, total_most - open_least)
    (c_least, c_most), (d_least, d_most) = sum_range(shown[2:3], shown), sum_range(shown[3:], shown)
    c_least, c_most, d_least, d_most = (max(c_least, least - d_most), min(c_most, most - d_least),
                                        max(d_least, least - c_most), min(d_most, most - c_least))
    ended = statuses[2] + statuses[3]
    successful = list(successful)
    others = [i for i in range(len(outcomes)) if i not in successful]
    parts = suppress_parts(outcomes, ended, [(successful, min(c_most, ended - d_least))])

    def more(parts):
        return (tells_more(parts, least, most, [(successful, c_most)])
                or sum_range([parts[i] for i in successful], parts)[0] > c_least
                or sum_range([parts[i] for i in others], parts)[1] < d_most)

    if more(parts):
        parts = hidden_parts(outcomes)
        if more(parts):
            # Even how many outcomes occurred would tell more: none is shown, 0 included.
            parts = [HIDDEN] * len(outcomes)
    return shown, parts


def tells_more(parts, least, most, limits=()):
    """Whether counts as shown tell more of their sum than that it is `least` to `most`, or let a
    hidden one be worked out from that and `limits` (see worked_out)."""
    told_least, told_most = sum_range(parts, parts)
    return (told_least > least or told_most < most
            or worked_out(parts, least, limits, most=most))


def sum_range(values, beside):
    """(least, most) a reader can tell of the sum of `values`, counts shown among `beside`: each
    "<5" is 1 to 4, each "*" at least 5 where a "<5" is shown beside it (it was shown otherwise),
    else at least 1."""
    least = most = 0
    for value in values:
        if value == SMALL:
            least, most = least + 1, most + 4
        elif value == HIDDEN:
            least, most = least + (5 if SMALL in beside else 1), float("inf")
        else:
            least, most = least + value, most + value
    return least, most


def worked_out(shown, total, limits=(), most=None):
    """Whether a reader who knows the rules could tell the exact value of a hidden count from the
    shown ones and the total: each "<5" is 1 to 4, each "*" at least 5 where a "<5" is shown
    beside it (it was shown otherwise), else at least 1, and they add up to what the shown counts
    leave of the total (with `most`, of a total known only to be `total` to `most`). `limits` are
    (indices, at most) where the reader knows that the counts at those indices add up to at most
    that (successful outcomes are of completed referrals only); the groups do not overlap.

    The least and the most each hidden count can be are worked out from the others' (their sum
    bounded by the total and the limits); a count is given away where the two meet.
    """
    ranges = {SMALL: (1, 4), HIDDEN: (5 if SMALL in shown else 1, float("inf"))}
    hidden = {i: ranges[value] for i, value in enumerate(shown) if value in ranges}
    if not hidden:
        return False
    known = sum(value for value in shown if value not in ranges)
    left_least = total - known
    left_most = (total if most is None else most) - known
    # Each limit on the hidden counts of its group: what it leaves once the shown ones are taken.
    groups = [({i for i in indices if i in hidden},
               at_most - sum(shown[i] for i in indices if i not in hidden))
              for indices, at_most in limits]
    for i, (lo, hi) in hidden.items():
        others = [j for j in hidden if j != i]
        top = min(hi, left_most - sum(hidden[j][0] for j in others))
        for group, cap in groups:
            if i in group:
                top = min(top, cap - sum(hidden[j][0] for j in group if j != i))
        # The most the others can add up to: each at its most, a group's at most its limit.
        grouped = [group for group, _cap in groups if i not in group]
        rest = sum(hidden[j][1] for j in others if not any(j in g for g in grouped))
        rest += sum(min(sum(hidden[j][1] for j in group), cap)
                    for group, cap in groups if i not in group)
        # (The others' sums, not a difference of two sums: an infinite one would leave NaN.)
        bottom = max(lo, left_least - rest)
        if top <= bottom:
            return True
    return False


def area_clubs(user):
    """The clubs of a supervisor's area: those whose city or province is the area."""
    area = (user.area or "").strip()
    if not area:
        return []
    return list(Club.select()
                .where(((Club.city == area) | (Club.province == area)) & Club.is_active)
                .order_by(Club.name))


def area_report(clubs, year):
    """De-identified figures of the area's clubs for `year`, every count already suppressed.

    No names, notes or codes leave this function: clubs are named (they are public bodies),
    people only counted.
    """
    ids = [club.id for club in clubs]
    period = Period.year(year)
    figures = club_figures(ids, period)
    categories = cases_reached_by_category(ids, period)
    statuses = referrals_by(Referral.status, ids, period)
    outcomes = referrals_by(Referral.outcome, ids, period)
    months, series = monthly_series(ids, period)
    survey_months = monthly_reach(ids, months)
    rows = []

    def labelled(ordered, shown):
        return [(label, value) for (_c, label, _n), value in zip(ordered, shown)]

    for club in clubs:
        f = figures[club.id]
        found = survey_figures([club.id], period.start, period.end)
        done = target_progress(targets_for(club, year), f, period, period.end)
        shown = {name: suppress(f[name]) for name in ("consultations", "mobilised")}
        by_status = [(code, REFERRAL_STATUSES.label(code), statuses[club.id].get(code, 0))
                     for code in REFERRAL_STATUSES.codes]
        by_outcome = labelled_counts(REFERRAL_OUTCOMES, outcomes[club.id])
        status_shown, outcome_shown = referral_parts(
            [n for _c, _l, n in by_status], [n for _c, _l, n in by_outcome], f["referrals"],
            successful=[i for i, (code, _l, _n) in enumerate(by_outcome)
                        if code in SUCCESSFUL_OUTCOMES])
        rows.append(dict(
            club=club.name,
            consultations=shown["consultations"],
            cases=suppress(f["cases"]),
            # A case may be in several categories: these do not add up to the cases.
            categories=[(label, suppress(categories[club.id].get(code, 0)))
                        for code, label, _n in labelled_counts(vocab.CASE_CATEGORIES, {})],
            referrals=suppress(f["referrals"]),
            statuses=labelled(by_status, status_shown),
            outcomes=labelled(by_outcome, outcome_shown),
            mobilised=shown["mobilised"],
            targets_met=dict(**{name: count_met(shown[name], done[name]["target"],
                                                done[name]["met"]) for name in shown},
                             referred=share_met(f, done["referred"]["met"])),
            # The ward survey: each screening is of one kind of person, so those add up to the
            # people screened; at risk, registered and counselled are each a part of it alone.
            **{f"survey_{name}": suppress(found["total"][name]) for name in SURVEY_COUNTS},
            survey_categories=[(label, value) for (_c, label, _n), value in zip(
                found["categories"], suppress_parts([n["screened"] for _c, _l, n in
                                                     found["categories"]],
                                                    found["total"]["screened"]))],
            # Each month's count adds up to the year's, shown on the area's first page.
            series={**{name: suppress_parts(values, f[name])
                       for name, values in series[club.id].items()},
                    **{f"survey_{name}": suppress_parts(survey_months[club.id][name],
                                                        found["total"][name])
                       for name in SURVEY_MONTHLY}},
        ))
    return dict(year=year, months=months, rows=rows, total=area_total(rows))


def exact_sum(values):
    """The sum of counts as shown, or HIDDEN unless every one is shown exactly: a total beside a
    hidden count would let it be worked out, so the area's total only adds what anyone could."""
    if all(isinstance(value, int) for value in values):
        return sum(values)
    return HIDDEN


def shown_sum(values):
    """The sum of counts as shown beside them, telling nothing they do not: the one count above 0
    as it is shown, where the others are 0; else exact_sum."""
    above = [value for value in values if value != 0]
    return above[0] if len(above) == 1 else exact_sum(values)


def area_total(rows):
    """The area's column: each figure summed over its clubs (see exact_sum)."""
    if not rows:
        return None

    def listed(key):
        return [(label, exact_sum([row[key][i][1] if len(row[key]) > i else 0 for row in rows]))
                for i, (label, _v) in enumerate(rows[0][key])]

    return dict(
        **{key: exact_sum([row[key] for row in rows])
           for key in ("consultations", "cases", "referrals", "mobilised",
                       *(f"survey_{name}" for name in SURVEY_COUNTS))},
        categories=listed("categories"), statuses=listed("statuses"), outcomes=listed("outcomes"),
        survey_categories=listed("survey_categories"),
    )
