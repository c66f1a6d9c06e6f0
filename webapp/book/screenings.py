"""The ward's survey (lập danh sách khảo sát): survey rounds, the areas assigned to members, and
screenings (sàng lọc) — a short assessment of one person met, naming no one — with the rule that
suggests a risk level from the answers, once, here: the phone applies the same data (`x-risk-rule`
in the schema, fields.py)."""
from datetime import datetime

from flask_babel import lazy_gettext as _l

from . import overtaken, vocab
from .. import audit
from ..clock import local_today
from ..db import database, locked, utcnow
from ..i18n import format_date
from ..invalid import Invalid
from ..models import Case, Screening, SurveyAssignment, SurveyRound, User

# --- The risk rule ------------------------------------------------------------------------------

# Points an answer "yes" counts (vocab.RISK_INDICATORS); the strong signs count 2.
RISK_WEIGHTS = {
    "plans_abroad": 1,
    "broker_contact": 2,
    "debts": 1,
    "papers_held": 2,
    "relative_abroad": 1,
    "earlier_trafficking": 2,
}
# (at least these points, level), highest first: the first that the score reaches.
RISK_LEVELS_FROM_POINTS = [(3, "high"), (1, "medium"), (0, "low")]


def risk_points(indicators):
    return sum(RISK_WEIGHTS.get(code, 0) for code in set(indicators or ()))


def suggested_level(indicators):
    """The risk level the answers suggest (the member records their own beside it)."""
    points = risk_points(indicators)
    return next(level for least, level in RISK_LEVELS_FROM_POINTS if points >= least)


def risk_rule_explained():
    """The rule in plain words, as the form shows it under the (numbered) questions."""
    codes = vocab.RISK_INDICATORS.codes
    strong = [str(codes.index(c) + 1) for c, w in RISK_WEIGHTS.items() if w >= 2]
    high, medium = RISK_LEVELS_FROM_POINTS[0][0], RISK_LEVELS_FROM_POINTS[1][0]
    return str(_l("Each yes counts 1 point; questions %(strong)s count 2. From %(high)d points: "
                  "high risk. %(medium)d to %(below)d points: medium. No point: low.",
                  strong=", ".join(strong), high=high, medium=medium, below=high - 1))


def risk_rule():
    """The rule as data for the phone (`x-risk-rule`): the same table the server applies."""
    return {"weights": dict(RISK_WEIGHTS),
            "levels": [[least, level] for least, level in RISK_LEVELS_FROM_POINTS],
            "labels": dict(vocab.RISK_LEVELS.choices()),
            "explained": risk_rule_explained(),
            "suggested": str(_l("Suggested from the answers:"))}


# --- Rounds -------------------------------------------------------------------------------------

MAX_AREAS = 100


def is_open(round_, at=None):
    """True if a screening made at `at` (naive UTC; default now) belongs to the round: within its
    period, before the chair closed it (one made offline before then is still taken)."""
    at = at or utcnow()
    if round_.closed_at is not None and at >= round_.closed_at:
        return False
    return round_.starts_on <= local_today(at) <= round_.ends_on


def open_rounds(club, on=None):
    on = on or local_today()
    return list(SurveyRound.select()
                .where((SurveyRound.club == club) & SurveyRound.closed_at.is_null()
                       & (SurveyRound.starts_on <= on) & (SurveyRound.ends_on >= on))
                .order_by(SurveyRound.starts_on, SurveyRound.id))


def rounds_to_fix(user):
    """The closed rounds (or past ones) of `user`'s screenings that wait for review or came back
    returned: their phone keeps them, so the screening is fixed in its own round."""
    waiting = (Screening.select(Screening.round)
               .where((Screening.created_by == user) & (Screening.club == user.club_id)
                      & (Screening.review_status.in_((vocab.SUBMITTED, vocab.RETURNED))
                         | Screening.amendment_status.in_((vocab.SUBMITTED, vocab.RETURNED)))))
    return list(SurveyRound.select().where(SurveyRound.id.in_(waiting))
                .order_by(SurveyRound.starts_on, SurveyRound.id))


def rounds_of(club):
    return list(SurveyRound.select().where(SurveyRound.club == club)
                .order_by(SurveyRound.starts_on.desc(), SurveyRound.id.desc()))


def round_or_none(club, round_id):
    return SurveyRound.get_or_none((SurveyRound.id == round_id) & (SurveyRound.club == club))


def parse_areas(text):
    """The areas typed one a line (or separated by semicolons), each once, in order."""
    seen, areas = set(), []
    for line in (text or "").replace(";", "\n").splitlines():
        name = " ".join(line.split())
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            areas.append(name)
    return areas


def values_of(round_):
    """A round as its form shows and saves it (its mark: overtaken.mark)."""
    return {"name": round_.name, "starts_on": round_.starts_on, "ends_on": round_.ends_on,
            "areas": list(round_.areas)}


def shown_round(values):
    """A round's values as the board reads them: (label, text) a field."""
    return [(_l("Name of the round"), values["name"]),
            (_l("First day"), format_date(values["starts_on"])),
            (_l("Last day"), format_date(values["ends_on"])),
            (_l("Areas to cover (tổ, khu phố)"), "\n".join(values["areas"]))]


def save_round(club, by, values, round_=None, uuid=None, seen=None):
    """Open a round (or change one): name, period, areas. An area that has screenings or an
    assignment stays. Raises Invalid.

    `uuid`: the new round's, made with its form: that form sent again (a double tap, the page
    sent again) is the round it opened — as it was, nothing is written; changed, it is changed.
    `seen`: the mark of the round the change's form was opened on: if another board member saved
    it since, nothing is written (overtaken.Overtaken); the same change sent again is taken."""
    name = (values.get("name") or "").strip()
    starts, ends = values.get("starts_on"), values.get("ends_on")
    areas = values.get("areas") or []
    typed = {"name": name, "starts_on": starts, "ends_on": ends, "areas": areas}
    if round_ is None and uuid:
        round_ = SurveyRound.get_or_none((SurveyRound.uuid == uuid) & (SurveyRound.club == club))
        if round_ is not None and values_of(round_) == typed:
            return round_
    errors = {}
    if not name:
        errors["name"] = _l("Give the round a name.")
    elif len(name) > 200:
        errors["name"] = _l("Use at most %(n)d characters.", n=200)
    if starts is None:
        errors["starts_on"] = _l("Enter the first day of the round.")
    if ends is None:
        errors["ends_on"] = _l("Enter the last day of the round.")
    elif starts is not None and ends < starts:
        errors["ends_on"] = _l("The last day cannot be before the first.")
    if not areas:
        errors["areas"] = _l("List the areas to cover (tổ, khu phố), one a line.")
    elif len(areas) > MAX_AREAS or any(len(a) > 120 for a in areas):
        errors["areas"] = _l("At most %(n)d areas, each at most 120 characters.", n=MAX_AREAS)
    if round_ is not None and not errors:
        used = ({s.area for s in Screening.select(Screening.area).where(Screening.round == round_)}
                | {a.area for a in round_.assignments})
        missing = sorted(used - set(areas))
        if missing:
            errors["areas"] = _l("These areas have screenings or a member: keep them: %(areas)s",
                                 areas=", ".join(missing))
    if errors:
        raise Invalid(errors)
    with database.atomic():
        if round_ is None:
            round_ = SurveyRound(club=club, created_by=by, **({"uuid": uuid} if uuid else {}))
        else:
            round_ = locked(round_)
            if overtaken.check(seen, values_of(round_), typed,
                               by=lambda: audit.last_by(round_, "survey_round_saved")):
                return round_  # sent again as it was: nothing to write
        # A closed round whose last day the chair moves later is extended: open again, so the
        # screenings refused for it ("ask the chair to extend the round") are taken when sent.
        reopened = round_.closed_at is not None and ends > round_.ends_on
        round_.name, round_.starts_on, round_.ends_on, round_.areas = name, starts, ends, areas
        if reopened:
            round_.closed_at = None
        round_.updated_at = utcnow()
        round_.save()
        audit.record("survey_round_saved", round_, user=by)
        if reopened:
            audit.record("survey_round_reopened", round_, user=by)
    return round_


def close_round(round_, by):
    with database.atomic():
        round_.closed_at = utcnow()
        round_.updated_at = utcnow()
        round_.save()
        audit.record("survey_round_closed", round_, user=by)


def assigned_values(round_):
    """The round's areas and who covers each ({area: member id}), as the areas' form shows and
    saves them (its mark: overtaken.mark)."""
    return {"areas": list(round_.areas),
            "members": {a.area: a.member_id for a in round_.assignments}}


def shown_assigned(values):
    """Who covers each area (assigned_values) as the board reads it: (area, name) an area."""
    ids = list(values["members"].values())
    names = {u.id: u.full_name or u.login for u in User.select().where(User.id.in_(ids or [0]))}
    return [(area, names.get(values["members"].get(area)) or _l("No one yet"))
            for area in values["areas"]]


def assign_areas(round_, assignments, by, seen=None):
    """Give each area of the round to a member ({area: member id or None}). Raises Invalid.

    `seen`: the mark of the assignments the form was opened on: if another board member assigned
    the areas since (or the round's areas changed), nothing is written (overtaken.Overtaken);
    the same assignments sent again are taken."""
    chosen = {}
    for area, member_id in assignments.items():
        if area not in round_.areas:
            raise Invalid({"areas": _l("This area is not one of the round's.")})
        if member_id:
            member = User.active_member(round_.club_id, member_id)
            if member is None:
                raise Invalid({area: _l("Choose a member of the club.")})
            chosen[area] = member
    typed = {"areas": list(round_.areas),
             "members": {area: member.id for area, member in chosen.items()}}
    with database.atomic():
        round_ = locked(round_)
        if overtaken.check(seen, assigned_values(round_), typed,
                           by=lambda: audit.last_by(round_, "survey_areas_assigned")):
            return  # sent again as it was: nothing to write
        SurveyAssignment.delete().where(SurveyAssignment.round == round_).execute()
        for area in round_.areas:
            if area in chosen:
                SurveyAssignment.create(round=round_, area=area, member=chosen[area])
        round_.updated_at = utcnow()
        round_.save()
        audit.record("survey_areas_assigned", round_, user=by, areas=len(chosen))


def assignments_of(round_):
    """{area: member} of the round."""
    return {a.area: a.member for a in (SurveyAssignment.select(SurveyAssignment, User)
                                       .join(User).where(SurveyAssignment.round == round_))}


def areas_of(member, round_ids):
    """{round id: [areas]} assigned to `member` in those rounds."""
    result = {}
    for a in (SurveyAssignment.select()
              .where((SurveyAssignment.member == member)
                     & SurveyAssignment.round.in_(list(round_ids) or [0]))
              .order_by(SurveyAssignment.id)):
        result.setdefault(a.round_id, []).append(a.area)
    return result


PHONE_SCREENINGS = 50  # the latest a member's phone holds of each round


def made_by(user, round_ids):
    """{round id: the user's latest screenings in it}."""
    result = {}
    for s in (Screening.select()
              .where((Screening.created_by == user) & Screening.round.in_(list(round_ids) or [0]))
              .order_by(Screening.screened_on.desc(), Screening.id.desc())):
        group = result.setdefault(s.round_id, [])
        if len(group) < PHONE_SCREENINGS:
            group.append(s)
    return result


def screenings_of(round_):
    return list(Screening.select(Screening, User).join(User, on=(Screening.created_by == User.id))
                .where(Screening.round == round_)
                .order_by(Screening.screened_on.desc(), Screening.id.desc()))


# --- The entry type (entries.py's protocol) -----------------------------------------------------

FIELDS = ("area", "screened_on", "category", "indicators", "risk_level", "counselled", "topics",
          "notes")


def round_refusal(user, round_, at):
    """Why `user` may not record a screening made at `at` (naive UTC) in `round_`, or None."""
    if round_ is None or round_.club_id != user.club_id:
        return _l("This survey round is not one of your club's. Open the survey screen again "
                  "and record the screening in one of the rounds listed there.")
    if not is_open(round_, at if isinstance(at, datetime) else None):
        return _l("This survey round was closed, or had not begun, when the screening was made "
                  "(%(start)s–%(end)s). Ask your club's chair to extend the round, then send it "
                  "again.", start=round_.starts_on.strftime("%d/%m/%Y"),
                  end=round_.ends_on.strftime("%d/%m/%Y"))
    return None


def no_club_refusal():
    # A former member (now a supervisor, say) hands in what waits: a screening has no case they
    # held (holders.py), and no round of a club of theirs to go to.
    return _l("This account no longer belongs to a club, so the screening cannot be added to the "
              "club's survey round. Tell the club's chair what you found, then discard this "
              "entry.")


def prepare(user, values, lookup, at=None):
    """The area must be one of the round's; the suggested level is the rule's, not the phone's."""
    if values["area"] not in values["round"].areas:
        raise Invalid({"area": _l("This area is not one of the round's. Choose one from the "
                                  "list.")})
    if values["topics"] and not values["counselled"]:
        raise Invalid({"counselled": _l("You chose counselling topics: tick that you counselled "
                                        "the person, or clear the topics.")})
    return dict(values, suggested_level=suggested_level(values["indicators"]))


def _write(screening, values):
    for name in FIELDS:
        setattr(screening, name, values[name])
    screening.counselled = bool(values["counselled"])
    screening.suggested_level = values["suggested_level"]
    screening.updated_at = utcnow()
    screening.save()


def create(user, values, lookup, **entry):
    screening = Screening(club=user.club_id, round=values["round"], created_by=user, **entry)
    # A case registered from it may have reached the server first: the link is made either way.
    screening.registered_case = (Case.select()
                                 .where((Case.screening_uuid == screening.uuid)
                                        & (Case.club == user.club_id))
                                 .first())
    _write(screening, values)
    audit.record("screening_recorded", screening, user=user, round_id=screening.round_id)
    return screening


def update(screening, values, by):
    if values["round"].id != screening.round_id:
        raise Invalid({"round_uuid": _l("A screening cannot move to another round.")})
    _write(screening, values)
    audit.record("screening_updated", screening, user=by, round_id=screening.round_id)
    return screening


def short_name(screening):
    """Its area and day: a screening names no one."""
    return f"{screening.area} · {format_date(screening.screened_on)}"


def data_of(screening):
    return {
        "round_uuid": screening.round.uuid, "area": screening.area,
        "screened_on": screening.screened_on.isoformat(), "category": screening.category,
        "indicators": list(screening.indicators), "risk_level": screening.risk_level,
        "counselled": screening.counselled, "topics": list(screening.topics),
        "notes": screening.notes,
    }


def _registered_from(uuid):
    """The cases registered from the screening `uuid`: by the case's `screening_uuid`, or the
    screening's `registered_case`."""
    registered = Screening.select(Screening.registered_case).where(Screening.uuid == uuid)
    return Case.select().where((Case.screening_uuid == uuid) | Case.id.in_(registered))


def about_erased(uuid):
    """True if the person met in the screening `uuid` was erased: the case registered from it
    was."""
    return _registered_from(uuid).where(Case.erased_at.is_null(False)).exists()


def kept_data(uuid, data):
    """A screening (new, or a returned one fixed) whose person was erased is kept with its counts
    and without their notes, in the row and its revisions alike (cases.erase)."""
    if isinstance(data, dict) and data.get("notes") and about_erased(uuid):
        return dict(data, notes="")
    return data


def registered_as(uuid, club_id):
    """The case of `club_id` already registered from the screening `uuid`, or None: one person
    met is one case (a second registration from it, on another phone say, is a duplicate)."""
    if not uuid:
        return None
    return _registered_from(uuid).where(Case.club == club_id).order_by(Case.id).first()


def link_case(case):
    """A case registered from a screening (`case.screening_uuid`): the screening, if the server
    has it in the case's club and it was registered as no other case, is marked with it."""
    if not case.screening_uuid:
        return None
    screening = Screening.get_or_none((Screening.uuid == case.screening_uuid)
                                      & (Screening.club == case.club_id))
    if screening is None or screening.registered_case_id not in (None, case.id):
        return None
    screening.registered_case = case
    screening.save(only=[Screening.registered_case])
    return screening
