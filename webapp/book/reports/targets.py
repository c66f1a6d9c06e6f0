"""The club's yearly targets, and how far the figures are towards them."""
import math

from flask_babel import lazy_gettext as _l

from .. import overtaken
from ... import audit
from ...db import database, locked
from ...models import Target


TARGET_DEFAULTS = dict(consultations=120, mobilised_per_member=2, referred_percent=50)
TARGET_LIMITS = dict(consultations=(100, 150), mobilised_per_member=(1, 10),
                     referred_percent=(1, 100))


class TargetError(ValueError):
    """A target out of its allowed range, with a message in the user's language, keyed by field."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message


def targets_for(club, year):
    """The club's targets for `year`: the saved row, or an unsaved one with the defaults."""
    return (Target.get_or_none((Target.club == club) & (Target.year == year))
            or Target(club=club, year=year, **TARGET_DEFAULTS))


def _range_message(field, low, high):
    if field == "consultations":
        return _l("Consultations must be between %(low)d and %(high)d a year.", low=low,
                  high=high)
    if field == "mobilised_per_member":
        return _l("People mobilised per member must be between %(low)d and %(high)d.",
                  low=low, high=high)
    return _l("The referred share must be between %(low)d%% and %(high)d%%.", low=low,
              high=high)


def validate_targets(consultations, mobilised_per_member, referred_percent):
    """Raise TargetError for the first target outside its allowed range."""
    values = dict(consultations=consultations, mobilised_per_member=mobilised_per_member,
                  referred_percent=referred_percent)
    for field, value in values.items():
        low, high = TARGET_LIMITS[field]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise TargetError(field, _range_message(field, low, high))


def values_of(target):
    """The targets as their form shows and saves them (its mark: overtaken.mark)."""
    return {name: getattr(target, name) for name in TARGET_DEFAULTS}


def set_targets(club, year, *, consultations, mobilised_per_member, referred_percent, by,
                seen=None):
    """Save the club's targets for `year` (validated), and audit the change.

    `seen`: the mark of the targets the form was opened on: if another board member saved them
    since, nothing is written (overtaken.Overtaken); the same targets sent again are taken."""
    if not 2000 <= year <= 2100:
        raise TargetError("year", _l("Choose a year between 2000 and 2100."))
    validate_targets(consultations, mobilised_per_member, referred_percent)
    typed = dict(consultations=consultations, mobilised_per_member=mobilised_per_member,
                 referred_percent=referred_percent)
    with database.atomic():
        target, created = Target.get_or_create(club=club, year=year, defaults=TARGET_DEFAULTS)
        target = locked(target)
        if (overtaken.check(seen, values_of(target), typed,
                            by=lambda: audit.last_by(target, "targets_set")) and not created):
            return target  # sent again as it was: nothing to write
        for name, value in typed.items():
            setattr(target, name, value)
        target.save()
        audit.record("targets_set", target, user=by, club=club, year=year,
                     consultations=consultations, mobilised_per_member=mobilised_per_member,
                     referred_percent=referred_percent)
    return target


def months_left(period, as_of):
    """Months still to come in the period, the current one included (0 when it is over)."""
    if as_of > period.end:
        return 0
    if as_of < period.start:
        return len(period.months())
    return (period.end.year - as_of.year) * 12 + period.end.month - as_of.month + 1


def progress(target, done, left):
    """How far `done` is towards `target`, and the monthly pace needed for the rest."""
    remaining = max(target - done, 0)
    return dict(target=target, done=done, remaining=remaining,
                percent=min(100, round(100 * done / target)) if target else 100,
                met=done >= target,
                per_month=math.ceil(remaining / left) if left and remaining else 0)


def target_progress(targets, figures, period, as_of):
    """Each target of the year against what is done, with the pace needed (see DEFINITIONS)."""
    left = months_left(period, as_of)
    mobilised_target = targets.mobilised_per_member * figures["members"]
    cases, referred = figures["cases"], figures["referred_cases"]
    referred_needed = math.ceil(targets.referred_percent * cases / 100)
    share = round(100 * referred / cases) if cases else 0
    return dict(
        months_left=left,
        consultations=progress(targets.consultations, figures["consultations"], left),
        mobilised=progress(mobilised_target, figures["mobilised"], left),
        referred=dict(target=targets.referred_percent, done=share, referred=referred,
                      cases=cases, needed=referred_needed,
                      remaining=max(referred_needed - referred, 0),
                      met=bool(cases) and share >= targets.referred_percent,
                      percent=min(100, round(100 * share / targets.referred_percent))),
    )
