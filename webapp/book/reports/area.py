"""The supervisor's view of an area: de-identified figures of its clubs, small counts hidden."""
from .. import vocab
from ...models import Club, Referral
from .figures import (
    REFERRAL_OUTCOMES, REFERRAL_STATUSES, Period, cases_reached_by_category, club_figures,
    labelled_counts, monthly_series, referrals_by,
)
from .survey import survey_figures
from .targets import target_progress, targets_for

SURVEY_COUNTS = ("screened", "at_risk", "registered", "counselled")


def suppress(value):
    """What a supervisor may see of a count of people or entries: 1 to 4 become "<5".

    The one place small counts are hidden; every area page and export goes through it.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        return value
    return SMALL if 1 <= value <= 4 else value


SMALL = "<5"
HIDDEN = "*"  # a count hidden only so that a small one cannot be worked out from a total


def suppress_parts(parts, total):
    """Suppress counts that add up to `total` (shown beside them) so that no hidden one can be
    worked out by subtraction: `suppress` each, then, while the total and the shown counts pin a
    hidden count down to one value (one "<5" alone; or "<5", "<5", 10 of 12, where both must be 1),
    hide the smallest count still shown as well (HIDDEN). Parts that may add up to less than the
    total are treated the same: the reader may know the rest. Returns the parts as shown.
    """
    shown = [suppress(n) for n in parts]
    if suppress(total) == SMALL:  # every part is then 0 or hidden, and no exact count leaks
        return shown
    while any(value == SMALL for value in shown) and worked_out(shown, total):
        others = [i for i, n in enumerate(parts)
                  if shown[i] not in (SMALL, HIDDEN) and isinstance(n, int) and n > 0]
        if not others:
            # Nothing left to hide: "<5" itself says too much, so every hidden count is "*".
            return [HIDDEN if value == SMALL else value for value in shown]
        shown[min(others, key=lambda i: (parts[i], i))] = HIDDEN
    return shown


def worked_out(shown, total):
    """Whether a reader who knows the rules could tell the exact value of a hidden count from the
    shown ones and the total: each "<5" is 1 to 4, each "*" at least 5 (it was shown otherwise),
    and they add up to what the shown counts leave of the total."""
    ranges = {SMALL: (1, 4), HIDDEN: (5, float("inf"))}
    hidden = [ranges[value] for value in shown if value in ranges]
    if not hidden:
        return False
    left = total - sum(value for value in shown if value not in ranges)
    low_sum, high_sum = sum(lo for lo, _hi in hidden), sum(hi for _lo, hi in hidden)
    for lo, hi in hidden:
        least = max(lo, left - (high_sum - hi))
        most = min(hi, left - (low_sum - lo))
        if most <= least:
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
    rows = []

    def parts_of(vocabulary, counts, total):
        ordered = labelled_counts(vocabulary, counts)
        shown = suppress_parts([n for _c, _label, n in ordered], total)
        return [(label, value) for (_c, label, _n), value in zip(ordered, shown)]

    for club in clubs:
        f = figures[club.id]
        found = survey_figures([club.id], period.start, period.end)
        done = target_progress(targets_for(club, year), f, period, period.end)
        rows.append(dict(
            club=club.name,
            consultations=suppress(f["consultations"]),
            cases=suppress(f["cases"]),
            # A case may be in several categories: these do not add up to the cases.
            categories=[(label, suppress(categories[club.id].get(code, 0)))
                        for code, label, _n in labelled_counts(vocab.CASE_CATEGORIES, {})],
            referrals=suppress(f["referrals"]),
            statuses=parts_of(REFERRAL_STATUSES, statuses[club.id], f["referrals"]),
            outcomes=parts_of(REFERRAL_OUTCOMES, outcomes[club.id], f["referrals"]),
            mobilised=suppress(f["mobilised"]),
            targets_met=dict(consultations=done["consultations"]["met"],
                             mobilised=done["mobilised"]["met"],
                             referred=done["referred"]["met"]),
            # The ward survey: each screening is of one kind of person, so those add up to the
            # people screened; at risk, registered and counselled are each a part of it alone.
            **{f"survey_{name}": suppress(found["total"][name]) for name in SURVEY_COUNTS},
            survey_categories=[(label, value) for (_c, label, _n), value in zip(
                found["categories"], suppress_parts([n["screened"] for _c, _l, n in
                                                     found["categories"]],
                                                    found["total"]["screened"]))],
            # Each month's count adds up to the year's, shown on the area's first page.
            series={name: suppress_parts(values, f[name])
                    for name, values in series[club.id].items()},
        ))
    return dict(year=year, months=months, rows=rows, total=area_total(rows))


def exact_sum(values):
    """The sum of counts as shown, or HIDDEN unless every one is shown exactly: a total beside a
    hidden count would let it be worked out, so the area's total only adds what anyone could."""
    if all(isinstance(value, int) for value in values):
        return sum(values)
    return HIDDEN


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
