"""The review loop at its edges, phone and desk: an amendment waiting while the same record is
edited again (by its sender, by the chair in the field app) or changed by the board meanwhile; a
returned entry whose case passed to another member, or whose author left the club.

The phone's edits are built as the field app builds them (views.formView): a case's own record is
edited from the working set's copy of the case (bootstrap `cases`), on its `revision` as base.
"""
from datetime import timedelta

import pytest

from webapp import accounts
from webapp.book import cases, entries, review
from webapp.models import Case, Consent, EntryRevision, Review, Visit

from . import test_sync_edges as sync_edges
from .factories import make_case, make_user, session_for
from .test_sync_edges import at, new_uuid, send, visit_data


def case_data(**data):
    """A case as the phone registers it, not agreeing to be referred."""
    return sync_edges.case_data(**{"consent": {"follow": True, "refer": False, "share": False},
                                   **data})


def phone_for(app, user):
    client = app.test_client()
    client.set_cookie("sotd_lang", "en")
    return session_for(client, user)


def held_case(client, case_uuid):
    """The case as the phone holds it after a sync (bootstrap), or None."""
    working = client.get("/api/v1/bootstrap").get_json()
    return next((c for c in working["cases"] if c["uuid"] == case_uuid), None)


def consent_edit(client, case_uuid, **consent):
    """What the field app's consent form sends (views.formView with only=["consent"]): the case's
    fields as the working set holds them, the consent changed, on the held revision."""
    schema = client.get("/api/v1/schema").get_json()
    properties = schema["$defs"]["case"]["properties"]
    held = held_case(client, case_uuid)
    data = {k: held[k] for k in properties if k in held}
    data["consent"] = dict(data["consent"], **consent)
    return {"uuid": case_uuid, "type": "case", "revision": held["revision"] + 1,
            "base_revision": held["revision"], "data": data,
            "client_created_at": at(timedelta(minutes=-1))}


def given(case, purpose):
    return (Consent.select().where((Consent.case == case) & (Consent.purpose == purpose)
                                   & Consent.given & Consent.withdrawn_at.is_null()).exists())


@pytest.fixture
def approved_case(app):
    """A case a member registered from the phone, approved by the chair (revision 1)."""
    chair = make_user(role="chair")
    member = make_user(club=chair.club)
    uuid = new_uuid()
    phone = phone_for(app, member)
    [result] = send(phone, [{"uuid": uuid, "type": "case", "revision": 1, "data": case_data(),
                             "client_created_at": at(timedelta(minutes=-10))}])
    assert result["status"] == "created", result
    review.approve(Case.get(Case.uuid == uuid), chair, seen=1)
    return type("World", (), dict(chair=chair, member=member, uuid=uuid, phone=phone))


# --- a second edit on the phone silently takes back the member's own pending amendment -----

def test_second_consent_edit_keeps_the_first_pending_amendment(app, approved_case):
    w = approved_case
    # The member records that the person agrees to be referred: an amendment, waiting for review.
    [first] = send(w.phone, [consent_edit(w.phone, w.uuid, refer=True)])
    assert first["status"] == "updated", first
    case = Case.get(Case.uuid == w.uuid)
    assert (case.amendment_revision, case.amendment_status) == (2, "submitted")
    # Later (the chair has not decided yet) the person also agrees to share: the phone's form is
    # filled from the working set's copy of the case, on revision 2 as its base.
    [second] = send(w.phone, [consent_edit(w.phone, w.uuid, share=True)])
    assert second["status"] == "updated", second
    review.approve(Case.get(Case.uuid == w.uuid), w.chair, seen=3)
    case = Case.get(Case.uuid == w.uuid)
    # Both consents the member recorded must be in the approved case; the first is lost.
    assert given(case, "share")
    assert given(case, "refer"), (
        "revision 3 was built from the approved copy (refer=False) on base 2 (refer=True): "
        "the member's pending amendment was silently taken back",
        EntryRevision.get((EntryRevision.uuid == w.uuid) & (EntryRevision.revision == 3)).data)


# --- a chair's field-app edit self-approves over a member's amendment nobody decided ------

def test_chair_field_edit_does_not_swallow_a_members_pending_amendment(app, approved_case):
    w = approved_case
    [first] = send(w.phone, [consent_edit(w.phone, w.uuid, refer=True)])
    assert first["status"] == "updated", first
    # The chair, in the field app, changes the same case's consent (their phone holds revision 2
    # as its base, with the approved data): the desk would refuse this edit ("decide on it first").
    chair_phone = phone_for(app, w.chair)
    [edit] = send(chair_phone, [consent_edit(chair_phone, w.uuid, share=True)])
    case = Case.get(Case.uuid == w.uuid)
    decided = Review.select().where((Review.entry_uuid == w.uuid) & (Review.revision == 2)).exists()
    still_waiting = case.amendment_revision == 2 and case.amendment_status == "submitted"
    # The member's amendment is either still waiting, decided, or merged: never dropped unseen.
    assert edit["status"] == "conflict" or still_waiting or decided or given(case, "refer"), (
        edit, case.revision, case.amendment_revision, case.amendment_status)


# --- approving a pending amendment gives again a consent the person withdrew meanwhile -----

def test_approving_an_amendment_does_not_give_back_a_consent_withdrawn_meanwhile(
        app, approved_case):
    w = approved_case
    # In the field the member records that the person agrees to be referred (an amendment; the
    # consent to be followed is sent as it was, unchanged).
    [first] = send(w.phone, [consent_edit(w.phone, w.uuid, refer=True)])
    assert first["status"] == "updated", first
    case = Case.get(Case.uuid == w.uuid)
    assert given(case, "follow")
    # Before the chair reviews it, the person withdraws consent to be followed, at the desk.
    desk = phone_for(app, w.chair)
    response = desk.post(f"/desk/cases/{case.id}/consent", data={"purpose": "follow", "given": "0"})
    assert response.status_code == 302
    assert not given(case, "follow")
    # The chair's review page shows the amendment changing only "refer"; they approve it.
    response = desk.post(f"/desk/review/case/{case.id}/approve", data={"revision": "2"})
    assert response.status_code == 302
    case = Case.get(Case.uuid == w.uuid)
    assert case.review_status == "approved" and case.amendment_revision is None
    assert given(case, "refer")
    # The withdrawal stands: an amendment that left "follow" as it was does not give it again.
    assert not given(case, "follow"), "the withdrawn consent to be followed was given again"


def test_approving_an_amendment_does_not_take_back_a_case_the_board_gave_to_another(app):
    chair = make_user(role="chair")
    b, c = make_user(club=chair.club), make_user(club=chair.club)
    # The chair registered the case and gave it to member b, who follows it in the field.
    case = make_case(club=chair.club, created_by=chair, assigned_to=None)
    cases.assign(case, b, by=chair)
    phone = phone_for(app, b)
    [first] = send(phone, [consent_edit(phone, case.uuid, refer=True)])
    assert first["status"] == "updated", first
    # Before reviewing it, the monthly meeting gives the case to member c.
    cases.assign(Case.get_by_id(case.id), c, by=chair)
    review.approve(Case.get_by_id(case.id), chair, seen=2)
    case = Case.get_by_id(case.id)
    assert given(case, "refer")
    # b's amendment left the assignee as it was on b's phone: the board's choice stands.
    assert case.assigned_to_id == c.id, "approving b's amendment gave the case back to b"


# --- a returned case that has since passed to another member: told to one who may not fix it -

def test_a_returned_case_passed_on_reaches_someone_who_can_fix_it(app):
    chair = make_user(role="chair")
    a, b = make_user(club=chair.club), make_user(club=chair.club)
    uuid = new_uuid()
    phone_a = phone_for(app, a)
    [created] = send(phone_a, [{"uuid": uuid, "type": "case", "revision": 1, "data": case_data(),
                                "client_created_at": at(timedelta(minutes=-30))}])
    assert created["status"] == "created", created
    review.return_entry(Case.get(Case.uuid == uuid), chair, "Ghi rõ năm sinh theo CCCD", seen=1)
    # The monthly meeting gives the person to member b before a fixes the registration.
    cases.assign(Case.get(Case.uuid == uuid), b, by=chair)

    returned_a = [r["uuid"] for r in phone_a.get("/api/v1/bootstrap").get_json()["returned"]]
    phone_b = phone_for(app, b)
    returned_b = [r["uuid"] for r in phone_b.get("/api/v1/bootstrap").get_json()["returned"]]
    # a's Today asks a to fix it; a's fix, as the phone sends it (Fix: the returned revision + 1):
    [fix] = send(phone_a, [{"uuid": uuid, "type": "case", "revision": 2, "base_revision": 1,
                            "data": case_data(birth_year=1998),
                            "client_created_at": at(timedelta(minutes=-1))}])
    a_can_fix = uuid in returned_a and fix["status"] == "updated"
    b_is_told = uuid in returned_b
    assert a_can_fix or b_is_told, (
        f"returned to a: {uuid in returned_a}, a's fix: {fix['status']} {fix['errors']}, "
        f"returned to b: {b_is_told}")


# --- a returned entry of a member since deactivated is left where nobody acts on it -------

def test_a_returned_entry_of_a_deactivated_member_is_not_left_in_limbo(app):
    from webapp import accounts
    from webapp.book import working_set

    chair = make_user(role="chair")
    member = make_user(club=chair.club)
    case = make_case(club=chair.club, created_by=member)
    uuid = new_uuid()
    [created] = send(phone_for(app, member), [{
        "uuid": uuid, "type": "visit", "revision": 1, "data": visit_data(case.uuid),
        "client_created_at": at(timedelta(minutes=-30))}])
    assert created["status"] == "created", created
    review.return_entry(Visit.get(Visit.uuid == uuid), chair, "Ghi rõ nội dung tư vấn", seen=1)
    desk = phone_for(app, chair)
    question = desk.post(f"/club/members/{member.id}/active", data={"active": "0"})
    assert question.status_code == 200
    accounts.set_active(member, False, by=chair)

    member = type(member).get_by_id(member.id)
    member.hand_in_only = True  # the one session a deactivated member gets: to hand in
    handed = [r["uuid"] for r in working_set.hand_in_set(member)["returned"]]
    queued = [item.row.uuid for item in review.queue(chair.club)]
    told = case.code in question.get_data(as_text=True)
    # Neither can the member fix it any more, nor does the board's queue (or the question before
    # deactivating) show it: the visit never reaches the club, and no one is asked to act.
    assert uuid in handed or uuid in queued or told, (
        Visit.get(Visit.uuid == uuid).review_status, handed, queued)


# --- a member present at a returned visit, deactivated before it is fixed --------------------

def returned_then_left(app, chair, author, left, entry_type, data):
    """`author`'s entry (made half an hour ago) returned by the chair, then the member `left`
    deactivated: the author's phone, and the returned entry as its bootstrap holds it."""
    phone = phone_for(app, author)
    uuid = new_uuid()
    [created] = send(phone, [{"uuid": uuid, "type": entry_type, "revision": 1, "data": data,
                              "client_created_at": at(timedelta(minutes=-30))}])
    assert created["status"] == "created", created
    model = entries.TYPES[entry_type].model
    review.return_entry(model.get(model.uuid == uuid), chair, "Ghi rõ nội dung", seen=1)
    accounts.set_active(type(left).get_by_id(left.id), False, by=chair)
    [returned] = phone.get("/api/v1/bootstrap").get_json()["returned"]
    return phone, returned


def test_a_fixed_visit_keeps_a_member_present_who_left_the_club_since(app):
    """Member a recorded a visit with b present; the chair returns it, then deactivates b. a's
    fix, as the phone sends it (the returned data, notes changed), keeps b present — and so does
    the chair's merge of a conflict on the same visit — while a new visit made after b left
    cannot name them: refused with the reason, nothing stored."""
    from webapp.book import conflicts
    from webapp.models import SyncConflict, VisitMember

    chair = make_user(role="chair")
    a, b = make_user(club=chair.club), make_user(club=chair.club, full_name="Lê Văn Rời")
    case = make_case(club=chair.club, created_by=a)
    phone, returned = returned_then_left(app, chair, a, b, "visit",
                                         visit_data(case.uuid, members_present=[a.id, b.id]))
    uuid = returned["uuid"]
    fixed = dict(returned["data"], notes="Đã tư vấn di cư an toàn")
    [fix] = send(phone, [{"uuid": uuid, "type": "visit", "revision": 2, "base_revision": 1,
                          "data": fixed, "client_created_at": at(timedelta(minutes=-1))}])
    assert fix["status"] == "updated", fix

    def present():
        return sorted(r.user_id for r in VisitMember.select().where(
            VisitMember.visit == Visit.get(Visit.uuid == uuid).id))

    assert present() == sorted([a.id, b.id])
    row = Visit.get(Visit.uuid == uuid)
    shown = dict(review.entry_view(row)["fields"])
    assert "Lê Văn Rời" in shown["Members present"]  # by name, for the chair

    # A copy kept by a conflict on the same visit, merged by the chair at the desk: b stays.
    kept = SyncConflict.create(entry_type="visit", uuid=uuid, revision=3, base_revision=1,
                               user=a, club=chair.club, data=dict(fixed, notes="Bản khác"))
    conflicts.resolve(kept, chair, ["notes"], seen=2)
    assert Visit.get(Visit.uuid == uuid).notes == "Bản khác" and present() == sorted([a.id, b.id])

    # A new visit, made after b left: b cannot be named in it.
    later = new_uuid()
    [refused] = send(phone, [{"uuid": later, "type": "visit", "revision": 1,
                              "data": visit_data(case.uuid, members_present=[a.id, b.id]),
                              "client_created_at": at(timedelta(seconds=1))}])
    assert refused["status"] == "invalid", refused
    assert "Lê Văn Rời had left the club" in refused["errors"]["members_present"]
    assert Visit.select().where(Visit.uuid == later).count() == 0
    # One made before b left, waiting on a phone until now, is taken with b present.
    earlier = new_uuid()
    [taken] = send(phone, [{"uuid": earlier, "type": "visit", "revision": 1,
                            "data": visit_data(case.uuid, members_present=[b.id]),
                            "client_created_at": at(timedelta(minutes=-20))}])
    assert taken["status"] == "created", taken


def test_a_fixed_attendance_keeps_who_brought_the_person_after_they_left(app):
    """The same for attendance: who brought the person (vận động) left the club after it was
    recorded; the fix keeps them, not the member who fixes it; a new record cannot name them."""
    from webapp.book import activities
    from webapp.models import Attendance
    from .factories import today

    chair = make_user(role="chair")
    a, b = make_user(club=chair.club), make_user(club=chair.club, full_name="Lê Văn Rời")
    activity = activities.save_activity({"title": "Truyền thông", "kind": "awareness",
                                         "date": today(), "place": "", "attendee_count": 0}, chair)
    case, other = (make_case(club=chair.club, created_by=a) for _ in range(2))
    data = {"activity_uuid": activity.uuid, "case_uuid": case.uuid, "brought_by": b.id}
    phone, returned = returned_then_left(app, chair, a, b, "attendance", data)
    uuid = returned["uuid"]
    [fix] = send(phone, [{"uuid": uuid, "type": "attendance", "revision": 2, "base_revision": 1,
                          "data": returned["data"], "client_created_at": at(timedelta(minutes=-1))}])
    assert fix["status"] == "updated", fix
    assert Attendance.get(Attendance.uuid == uuid).brought_by_id == b.id

    [refused] = send(phone, [{"uuid": new_uuid(), "type": "attendance", "revision": 1,
                              "data": dict(data, case_uuid=other.uuid),
                              "client_created_at": at(timedelta(seconds=1))}])
    assert refused["status"] == "invalid", refused
    assert "Lê Văn Rời had left the club" in refused["errors"]["brought_by"]


def test_the_phone_knows_by_name_who_left_among_those_its_returned_entries_name(app):
    """The working set's members: the club's active members to choose from, then those who have
    left that a returned entry of the user names, marked `left` — no one else who left."""
    chair = make_user(role="chair")
    a = make_user(club=chair.club)
    b = make_user(club=chair.club, full_name="Lê Văn Rời")
    c = make_user(club=chair.club, full_name="Trần Thị Khác")
    case = make_case(club=chair.club, created_by=a)
    accounts.set_active(c, False, by=chair)  # left too, but named in nothing of a's
    phone, _returned = returned_then_left(app, chair, a, b, "visit",
                                          visit_data(case.uuid, members_present=[a.id, b.id]))

    members = phone.get("/api/v1/bootstrap").get_json()["members"]
    assert {m["id"]: m.get("left", False) for m in members} == {
        chair.id: False, a.id: False, b.id: True}
    assert {m["id"]: m["full_name"] for m in members}[b.id] == "Lê Văn Rời"
