"""The field app's working set (DESIGN.md §3 and §4): what a user's phone holds, sent whole the
first time and after that as what changed since the cursor of the phone's last answer.

A cursor names what an answer left on the phone, as one keyed digest per case, appointment,
returned entry and activity, and one for each small part (the user, the members, the
vocabularies, the schema). The next answer is computed whole on the server and compared with
them: a record whose digest differs goes out, one that is no longer there is named in `removed`.
So nothing written between two answers is missed, however the writes race the read: a delta is a
comparison of what was sent with what is now, not a window of time.
"""
import hashlib
import hmac
import json
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import get_locale

from . import activities, cases, entries, fields, providers, review, scheduling, screenings, sync
from ..db import database, utcnow
from ..models import (
    Activity, Appointment, Case, CaseCategory, Consent, EntryRevision, Referral, SyncConflict,
    User, Visit, WorkingSetCursor,
)
from ..permissions import FIELD, visible_cases
from .vocab import APPROVED, CONSENT_PURPOSES, FIELD_VOCABULARIES, RETURNED, SUBMITTED

RECENT_VISITS = 5
ACTIVITY_DAYS = activities.RECENT_DAYS
KEEP = 5                       # cursors kept per user: a phone whose last answer was lost still
MAX_AGE = timedelta(days=30)   # has a known base; one older than a session lives is forgotten

# The lists of the working set, each by the key the phone knows its records by.
LISTS = {"cases": "uuid", "appointments": "id", "returned": "uuid", "activities": "uuid",
         "rounds": "uuid"}
# The parts sent whole, and only when they changed.
PARTS = ("user", "members", "vocabularies", "schema_version", "conflict_outcomes", "providers")


def _iso(value):
    return value.isoformat() if value is not None else None


def _grouped(query, key):
    groups = {}
    for row in query:
        groups.setdefault(key(row), []).append(row)
    return groups


def _cases(user):
    case_rows = list(visible_cases(user).order_by(Case.code))
    ids = [c.id for c in case_rows] or [0]
    categories = _grouped(CaseCategory.select().where(CaseCategory.case.in_(ids)),
                          lambda r: r.case_id)
    consents = _grouped(Consent.select().where(Consent.case.in_(ids) & Consent.given
                                               & Consent.withdrawn_at.is_null()),
                        lambda r: r.case_id)
    recent = _grouped(Visit.select().where(Visit.case.in_(ids))
                      .order_by(Visit.date.desc(), Visit.id.desc()), lambda r: r.case_id)
    case_referrals = _grouped(Referral.select().where(Referral.case.in_(ids))
                              .order_by(Referral.referred_on.desc()), lambda r: r.case_id)
    open_appointments = _grouped(Appointment.select()
                                 .where(Appointment.case.in_(ids) & (Appointment.status == "open"))
                                 .order_by(Appointment.due_date, Appointment.id),
                                 lambda r: r.case_id)
    amended = _own_amendments(user, case_rows)
    out = []
    for c in case_rows:
        given = {row.purpose for row in consents.get(c.id, [])}
        upcoming = open_appointments.get(c.id, [])
        record = {
            "full_name": c.full_name, "sex": c.sex, "birth_year": c.birth_year,
            "address": c.address, "neighbourhood": c.neighbourhood, "phone": c.phone,
            "met_how": c.met_how, "screening_uuid": c.screening_uuid,
            "categories": sorted(r.category for r in categories.get(c.id, [])),
            "risk_level": c.risk_level, "assigned_to": c.assigned_to_id,
            "consent": {p: p in given for p in CONSENT_PURPOSES.codes},
        }
        if c.id in amended:
            record = _as_amended(record, amended[c.id])
        out.append({
            "id": c.id, "uuid": c.uuid, "code": c.code, **record, "status": c.status,
            "review_status": c.review_status,
            # The revision the copy's data is: the user's own amendment, else the approved (or
            # latest submitted) version; an edit of it then has that revision as its base.
            "revision": c.amendment_revision if c.id in amended else c.revision,
            "amendment_status": c.amendment_status if c.id in amended else None,
            "recent_visits": [{"uuid": v.uuid, "date": _iso(v.date), "kind": v.kind,
                               "topics": list(v.topics), "review_status": v.review_status}
                              for v in recent.get(c.id, [])[:RECENT_VISITS]],
            "referrals": [{"uuid": r.uuid, "service_kind": r.service_kind, "status": r.status,
                           "referred_on": _iso(r.referred_on)}
                          for r in case_referrals.get(c.id, [])],
            "next_appointment": ({"id": upcoming[0].id, "due_date": _iso(upcoming[0].due_date)}
                                 if upcoming else None),
        })
    return out


def _own_amendments(user, case_rows):
    """{case id: (data of the amended version, data of the approved one)} for the cases whose
    amendment — waiting for review, or returned to be fixed — `user` sent.

    A user's copy of a case describes one revision, so that an edit made from it is built on
    the revision it names as its base (DESIGN.md §4): for its sender, their own amendment — the
    member sees what they recorded and their next edit builds on it, never taking it back; for
    anyone else, the version the book counts, whose edit then meets the amendment as a conflict
    (with the server's version to compare), never passing over it unseen."""
    waiting = {c.uuid: c for c in case_rows
               if c.amendment_revision is not None and c.amendment_status in (SUBMITTED, RETURNED)}
    if not waiting:
        return {}
    sent = (EntryRevision.select()
            .where(EntryRevision.uuid.in_(list(waiting)) & (EntryRevision.submitted_by == user)))
    out = {}
    for rev in sent:
        c = waiting[rev.uuid]
        if rev.revision == c.amendment_revision:
            out[c.id] = (rev.data, review.data_of(c, c.revision))
    return out


def _as_amended(record, versions):
    """The copy of a case as its sender's amendment will stand once approved: what it changes
    against the approved version (the chair's page shows those changes), over what the case
    holds now — the same rule as approving it (review._approve_amendment, cases.edit_from), so
    a consent withdrawn or the case given to another meanwhile shows as it is."""
    data, approved = versions
    changed = cases.edit_from(dict(data), approved)
    out = dict(record)
    for name in record:
        if name == "consent":
            asked = changed["consent"]
            out[name] = {p: given if asked.get(p) is None else bool(asked[p])
                         for p, given in record["consent"].items()}
        elif name == "assigned_to":
            continue  # only the board moves a case: as it is now
        elif name in data:
            out[name] = sorted(data[name]) if name == "categories" else data[name]
    return out


def conflict_outcomes(user):
    """How the board ended the user's kept copies (book/conflicts.py), for the phone to tell."""
    since = utcnow() - timedelta(days=sync.OUTCOME_DAYS)
    rows = (SyncConflict.select()
            .where((SyncConflict.user == user) & (SyncConflict.resolved_at >= since)
                   & (SyncConflict.data != sync.ERASED))
            .order_by(SyncConflict.resolved_at))
    return [{"uuid": c.uuid, "type": c.entry_type, "revision": c.revision,
             "outcome": c.resolution, "reason": c.reason,
             "resolved_revision": c.resolved_revision,
             "resolved_at": c.resolved_at.isoformat(timespec="seconds") + "Z"}
            for c in rows]


_schema_versions = {}


def schema_version():
    """A short digest of /api/v1/schema in the current language: the phone fetches the schema
    again only when it changed (a new field, a new release's wording)."""
    locale = str(get_locale())
    if locale not in _schema_versions:
        document = json.dumps(entries.api_schema(), sort_keys=True, ensure_ascii=False)
        _schema_versions[locale] = hashlib.sha256(document.encode()).hexdigest()[:16]
    return _schema_versions[locale]


def whole(user):
    """Everything the field app needs, for `user` only: the lists and the parts."""
    club = user.club
    since = fields.local_today() - timedelta(days=ACTIVITY_DAYS)
    # The club's activities, and those the user proposed while they wait for the chair's review
    # (attendance at one waits with it); one proposed by another member is not the club's yet.
    activity_rows = (Activity.select()
                     .where((Activity.club == user.club_id) & (Activity.date >= since)
                            & ((Activity.review_status == APPROVED)
                               | ((Activity.created_by == user.id)
                                  & (Activity.review_status == SUBMITTED))))
                     .order_by(Activity.date.desc()))
    returned = review.returned_for(user)
    return {
        "user": {"id": user.id, "login": user.login, "full_name": user.full_name,
                 "role": user.role, "club": {"id": club.id, "name": club.name} if club else None,
                 "hand_in_only": False, "desk": False},
        "vocabularies": {v.name: [{"code": code, "label": label} for code, label in v.choices()]
                         for v in (*FIELD_VOCABULARIES, entries.ENTRY_TYPES)},
        "members": _members(user, returned),
        "schema_version": schema_version(),
        "cases": _cases(user),
        "appointments": scheduling.working_set_appointments(user),
        "activities": [{"uuid": a.uuid, "title": a.title, "date": _iso(a.date), "kind": a.kind,
                        "place": a.place, "review_status": a.review_status}
                       for a in activity_rows],
        "returned": returned,
        "conflict_outcomes": conflict_outcomes(user),
        "providers": providers.for_working_set(user),  # the directory, to pick and call offline
        "rounds": survey_rounds(user),
    }


def _members(user, returned):
    """The club's active members, to choose from; then those who have left the club that the
    user's returned entries name (present at a visit, who brought someone), marked `left`: the
    phone shows them by name, and offers them only on an entry that names them, so that a fix
    keeps them as the server does (User.active_at)."""
    active = list(User.active_members(user.club_id).order_by(User.full_name))
    named = {member_id for item in returned for f in entries.TYPES[item["type"]].fields
             for member_id in f.members_named(item["data"].get(f.name))}
    named -= {m.id for m in active}
    left = (list(User.select()
                 .where(User.id.in_(sorted(named)) & (User.club == user.club_id)
                        & User.role.in_(FIELD))
                 .order_by(User.full_name))
            if named and user.club_id is not None else [])
    return ([{"id": m.id, "full_name": m.full_name or m.login} for m in active]
            + [{"id": m.id, "full_name": m.full_name or m.login, "left": True} for m in left])


def survey_rounds(user):
    """The club's open survey rounds, each with the areas assigned to the user (`my_areas`) and
    the user's latest screenings in it (no one is named in them), to register one as a case."""
    rounds = screenings.open_rounds(user.club_id) if user.club_id else []
    # A round closed since, kept for the user's screenings in it to fix (`closed`: none added).
    open_ids = {r.id for r in rounds}
    rounds += [r for r in (screenings.rounds_to_fix(user) if user.club_id else [])
               if r.id not in open_ids]
    mine = screenings.areas_of(user, [r.id for r in rounds])
    made = screenings.made_by(user, [r.id for r in rounds])
    return [{"uuid": r.uuid, "name": r.name, "starts_on": _iso(r.starts_on),
             "ends_on": _iso(r.ends_on), "areas": list(r.areas), "my_areas": mine.get(r.id, []),
             "closed": r.id not in open_ids,
             "screenings": [{"uuid": s.uuid, "area": s.area, "screened_on": _iso(s.screened_on),
                             "category": s.category, "risk_level": s.risk_level,
                             "review_status": s.review_status,
                             "registered": s.registered_case_id is not None}
                            for s in made.get(r.id, [])]}
            for r in rounds]


def _digest(value):
    # Keyed, so that a cursor's row says nothing of the records it stands for.
    key = hashlib.sha256(b"working-set:" + current_app.secret_key.encode()).digest()
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, text.encode(), hashlib.blake2s).hexdigest()[:16]


def digests(working):
    """{list: {key: digest}, part: digest} of a whole working set."""
    out = {name: {str(item[key]): _digest(item) for item in working[name]}
           for name, key in LISTS.items()}
    out.update({part: _digest(working[part]) for part in PARTS})
    return out


def _known(user, token):
    """The digests a cursor of `user` names, or None (no cursor, another's, or forgotten)."""
    if not isinstance(token, str) or not token or len(token) > 32:
        return None
    row = (WorkingSetCursor.select()
           .where((WorkingSetCursor.token == token) & (WorkingSetCursor.user == user.id)
                  & (WorkingSetCursor.created_at > utcnow() - MAX_AGE))
           .first())
    return row.digests if row is not None else None


def _remember(user, sent):
    """A new cursor for `sent`; the user's oldest ones beyond KEEP are forgotten."""
    token = secrets.token_urlsafe(16)
    with database.atomic():
        WorkingSetCursor.create(user=user.id, token=token, digests=sent)
        old = [c.id for c in (WorkingSetCursor.select(WorkingSetCursor.id)
                              .where(WorkingSetCursor.user == user.id)
                              .order_by(WorkingSetCursor.created_at.desc(),
                                        WorkingSetCursor.id.desc())
                              .offset(KEEP))]
        if old:
            WorkingSetCursor.delete().where(WorkingSetCursor.id.in_(old)).execute()
        (WorkingSetCursor.delete()
         .where((WorkingSetCursor.user == user.id)
                & (WorkingSetCursor.created_at <= utcnow() - MAX_AGE))
         .execute())
    return token


def hands_in_only(user):
    """True for an account that may only send what waits on its phone: deactivated (a hand-in
    session, accounts.py), or whose role is no longer one that records in the field."""
    return user.hand_in_only or user.role not in FIELD


def at_desk(user):
    """True for an account that works at the desk, not in the field app: a supervisor's or an
    administrator's, whose phone said at its last sync that nothing of theirs waits on it. The
    field app goes to the desk, logged in (the bootstrap's `desk`), and so does a login asked for
    it (auth.next_for); with entries waiting, the field app sends them first, then logs out."""
    return not user.hand_in_only and user.role not in FIELD and not user.waiting_count


def hand_in_set(user):
    """The working set of an account that only hands in: nothing to read (the key to send with
    comes from /api/v1/csrf); `desk`: nothing to hand in either, the field app goes to the desk."""
    club = user.club if user.club_id is not None else None
    return {
        "user": {"id": user.id, "login": user.login, "full_name": user.full_name,
                 "role": user.role, "club": {"id": club.id, "name": club.name} if club else None,
                 "hand_in_only": True, "desk": at_desk(user)},
        "vocabularies": {v.name: [{"code": code, "label": label} for code, label in v.choices()]
                         for v in FIELD_VOCABULARIES},
        "members": [], "cases": [], "appointments": [], "activities": [], "returned": [],
        "rounds": [], "schema_version": schema_version(), "full": True,
    }


def answer(user, since=None):
    """The bootstrap answer: the whole working set (`full: true`) when `since` names no cursor
    of this user's that the server still knows; otherwise only what changed since it."""
    working = whole(user)
    now = digests(working)
    before = _known(user, since)
    if before is None:
        return dict(working, full=True, cursor=_remember(user, now))
    delta = {"full": False,
             "cursor": since if now == before else _remember(user, now),
             "removed": {}}
    for name, key in LISTS.items():
        held = before.get(name, {})
        delta[name] = [item for item in working[name]
                       if held.get(str(item[key])) != now[name][str(item[key])]]
        current = now[name]
        # Keys go back as the phone holds them: appointment ids are numbers.
        as_sent = int if key == "id" else str
        delta["removed"][name] = sorted(as_sent(k) for k in held if k not in current)
    for part in PARTS:
        if before.get(part) != now[part]:
            delta[part] = working[part]
    return delta
