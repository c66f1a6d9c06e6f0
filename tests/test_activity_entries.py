"""A member proposes an activity from the field: an entry that waits for the chair's review, and
once approved an activity of the club like one the chair recorded at the desk."""
from datetime import timedelta

import pytest
from flask_babel import force_locale

from webapp.book import entries, review, sync, working_set
from webapp.book.fields import local_today
from webapp.models import Activity, Attendance, EntryRevision

from .factories import dated, make_case, make_club, make_user, session_for


def proposal(**data):
    values = {"title": "Tuyên truyền ở tổ 5", "kind": "awareness",
              "date": (local_today() + timedelta(days=7)).isoformat(), "place": "Nhà văn hóa tổ 5"}
    return sync.new_entry("activity", {**values, **data})


def uuids(user, name="activities"):
    return [item["uuid"] for item in working_set.whole(user)[name]]


def test_the_registry_knows_the_proposed_activity(app):
    kind = entries.TYPES["activity"]
    assert kind.model is Activity and kind.case_of(Activity()) is None
    assert kind.order < entries.TYPES["attendance"].order  # what attendance refers to goes first
    schema = entries.api_schema()["$defs"]["activity"]
    assert schema["required"] == ["title", "kind", "date"]
    assert schema["properties"]["kind"]["x-vocabulary"] == "activity_kind"


def test_a_proposal_waits_for_review_then_is_the_clubs(app, club, chair, member):
    other = make_user(club=club)
    entry = proposal()
    result = sync.submit_batch(member, [entry])[0]
    assert result["status"] == "created", result
    activity = Activity.get_by_id(result["id"])
    assert (activity.review_status, activity.club_id, activity.created_by_id) == (
        "submitted", club.id, member.id)
    assert [item.row for item in review.queue(club)] == [activity]
    # The proposer's phone keeps it (marked as waiting); nobody else's yet.
    assert entry["uuid"] in uuids(member) and entry["uuid"] not in uuids(other)
    assert [a["review_status"] for a in working_set.whole(member)["activities"]] == ["submitted"]

    review.approve(activity, chair, seen=1)
    assert Activity.get_by_id(activity.id).review_status == "approved"
    assert entry["uuid"] in uuids(other) and entry["uuid"] in uuids(chair)
    # Attendance at it is recorded and approved like at any activity.
    case = make_case(club=club, created_by=other)
    taken = sync.submit_entry(other, sync.new_entry("attendance", {
        "activity_uuid": activity.uuid, "case_uuid": case.uuid, "brought_by": other.id}))
    assert taken["status"] == "created", taken
    attendance = Attendance.get_by_id(taken["id"])
    review.approve(attendance, chair)
    assert Attendance.get_by_id(attendance.id).review_status == "approved"


def test_attendance_sent_with_its_proposal_waits_for_it(app, club, chair, member):
    case = make_case(club=club, created_by=member)
    entry = proposal()
    attend = sync.new_entry("attendance", {"activity_uuid": entry["uuid"], "case_uuid": case.uuid})
    # Sent in the other order: the batch takes the activity first.
    results = sync.submit_batch(member, [attend, entry])
    assert [r["status"] for r in results] == ["created", "created"], results
    attendance = Attendance.get_by_id(results[0]["id"])
    assert review.waiting_for(attendance).uuid == entry["uuid"]
    with pytest.raises(Exception):
        review.approve(attendance, chair)
    review.approve(Activity.get(Activity.uuid == entry["uuid"]), chair)
    review.approve(Attendance.get_by_id(attendance.id), chair)
    # Attendance at an activity the server never got: a reason the member can act on.
    lost = sync.submit_entry(member, sync.new_entry("attendance", {
        "activity_uuid": proposal()["uuid"], "case_uuid": case.uuid}))
    assert lost["status"] == "invalid"
    assert "được gửi trước" in lost["errors"]["activity_uuid"]  # what to do: it goes first


def test_attendance_sent_with_a_proposal_the_book_had_goes_to_that_activity(app, club, chair,
                                                                           member):
    twin = Activity.create(club=club, created_by=chair, review_status="approved",
                           title="Tuyên truyền ở tổ 5", kind="awareness",
                           date=local_today() + timedelta(days=7))
    case = make_case(club=club, created_by=member)
    entry = proposal()
    attend = sync.new_entry("attendance", {"activity_uuid": entry["uuid"], "case_uuid": case.uuid})
    results = sync.submit_batch(member, [entry, attend])
    assert [r["status"] for r in results] == ["invalid", "created"], results
    assert Attendance.get_by_id(results[1]["id"]).activity_id == twin.id
    assert "Tuyên truyền ở tổ 5" in results[1]["notice"]
    # Sent again (its answer lost), it is the same entry.
    assert sync.submit_batch(member, [attend])[0]["status"] == "duplicate"


def test_sent_again_it_is_stored_once(app, club, member):
    entry = proposal()
    first = sync.submit_batch(member, [entry])[0]
    again = sync.submit_batch(member, [entry])[0]  # the answer was lost: the phone retries
    assert (first["status"], again["status"]) == ("created", "duplicate")
    assert again["id"] == first["id"]
    assert Activity.select().where(Activity.uuid == entry["uuid"]).count() == 1
    assert EntryRevision.select().where(EntryRevision.uuid == entry["uuid"]).count() == 1


@pytest.mark.parametrize("data, field, words", [
    ({"title": ""}, "title", "title"),
    ({"kind": "picnic"}, "kind", ""),
])
def test_a_proposal_refused_says_what_to_do(app, member, data, field, words):
    with force_locale("en"):
        result = sync.submit_entry(member, proposal(**dated(data)))
    assert result["status"] == "invalid" and field in result["errors"], result
    assert words in result["errors"][field]
    assert Activity.select().count() == 0


def test_an_activity_that_arrives_after_the_phones_window_still_goes_to_review(
        app, club, chair, member):
    """Recorded 85 days ago on a phone that then stayed offline; it arrives 91 days old, past
    the 90 days of activities the phones keep. It is the club's all the same: never refused with
    nothing left to do but discard it."""
    entry = proposal(date=(local_today() - timedelta(days=91)).isoformat())
    result = sync.submit_entry(member, entry)
    assert result["status"] == "created", result
    activity = Activity.get(Activity.uuid == entry["uuid"])
    assert activity.review_status == "submitted"
    assert [item.row.uuid for item in review.queue(club)] == [entry["uuid"]]
    assert entry["uuid"] not in uuids(member)  # the phone does not keep it
    # Returned by the chair, it comes back to the phone all the same, to be fixed.
    review.return_entry(activity, chair, "Ghi rõ địa điểm.", seen=1)
    assert [r["uuid"] for r in review.returned_for(member)] == [entry["uuid"]]
    assert sync.submit_entry(member, entry)["status"] == "duplicate"  # a retry is not doubled


def test_an_activity_already_in_the_book_is_not_proposed_twice(app, club, chair, member):
    day = local_today() + timedelta(days=3)
    sync.submit_entry(chair, proposal(title="Tập huấn kỹ năng", date=day.isoformat()))
    with force_locale("en"):
        result = sync.submit_entry(member, proposal(title="  TẬP HUẤN   kỹ năng ",
                                                    date=day.isoformat()))
    assert result["status"] == "invalid"
    assert "attendance recorded at this proposal goes to it" in result["errors"]["title"]
    assert day.strftime("%d/%m/%Y") in result["errors"]["title"]
    # Another day, or another club's same title, is another activity.
    assert sync.submit_entry(member, proposal(title="Tập huấn kỹ năng"))["status"] == "created"
    stranger = make_user(club=make_club())
    assert sync.submit_entry(stranger, proposal(title="Tập huấn kỹ năng",
                                                date=day.isoformat()))["status"] == "created"


def test_the_chairs_own_proposal_is_approved_on_submit(app, chair):
    result = sync.submit_entry(chair, proposal())
    assert Activity.get_by_id(result["id"]).review_status == "approved"
    assert review.queue(chair.club) == []


def test_a_returned_proposal_is_fixed_and_sent_again(app, club, chair, member):
    entry = proposal(title="Truyen thong")
    activity = Activity.get_by_id(sync.submit_entry(member, entry)["id"])
    review.return_entry(activity, chair, "Ghi tên có dấu và địa điểm cụ thể.", seen=1)
    returned = review.returned_for(member)
    assert [(r["uuid"], r["type"], r["reason"]) for r in returned] == [
        (entry["uuid"], "activity", "Ghi tên có dấu và địa điểm cụ thể.")]
    assert entry["uuid"] not in uuids(member)  # not offered for attendance while returned
    fixed = dict(entry, revision=2, base_revision=1,
                 data=dict(entry["data"], title="Truyền thông phòng, chống mua bán người"))
    result = sync.submit_entry(member, fixed)
    assert result["status"] == "updated", result  # not a twin of itself
    assert Activity.get_by_id(activity.id).review_status == "submitted"
    # Someone else's proposal is not theirs to change.
    other = make_user(club=club)
    stolen = dict(fixed, revision=3, base_revision=2)
    assert sync.submit_entry(other, stolen)["status"] in ("invalid", "conflict")


def test_the_chair_reviews_a_proposal_at_the_desk(app, client, in_english, club, chair, member):
    activity = Activity.get_by_id(sync.submit_entry(member, proposal())["id"])
    session_for(client, chair)
    queue = client.get("/desk/review/").get_data(as_text=True)
    assert "Tuyên truyền ở tổ 5" in queue
    page = client.get(f"/desk/review/activity/{activity.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Tuyên truyền ở tổ 5" in text and "Nhà văn hóa tổ 5" in text
    assert (member.full_name or member.login) in text
    response = client.post(f"/desk/review/activity/{activity.id}/approve", data={"revision": 1})
    assert response.status_code == 302
    assert Activity.get_by_id(activity.id).review_status == "approved"
    listed = client.get("/desk/activities/").get_data(as_text=True)
    assert "Tuyên truyền ở tổ 5" in listed
    # Another club's chair sees nothing of it.
    stranger = app.test_client()
    session_for(stranger, make_user(club=make_club(), role="chair"))
    assert stranger.get(f"/desk/review/activity/{activity.id}").status_code == 404


def test_the_chairs_desk_edit_of_a_waiting_proposal_is_the_next_revision_and_approves_it(
        app, client, in_english, club, chair, member):
    """The desk writes revisions as the phone does: the member's fix made from the older
    revision then meets a conflict instead of undoing the chair's correction."""
    entry = proposal(title="Truyen thong")
    activity = Activity.get_by_id(sync.submit_entry(member, entry)["id"])
    session_for(client, chair)
    form = client.get(f"/desk/activities/{activity.id}/edit").get_data(as_text=True)
    assert 'name="base_revision" value="1"' in form
    changed = dict(entry["data"], title="Truyền thông phòng, chống mua bán người",
                   base_revision="1")
    response = client.post(f"/desk/activities/{activity.id}/edit", data=changed)
    assert response.status_code == 302, response.get_data(as_text=True)
    activity = Activity.get_by_id(activity.id)
    assert (activity.title, activity.revision, activity.review_status) == (
        "Truyền thông phòng, chống mua bán người", 2, "approved")
    assert review.queue(club) == []
    page = client.get(f"/desk/review/activity/{activity.id}").get_data(as_text=True)
    assert "Truyền thông phòng, chống mua bán người" in page and "Truyen thong" not in page
    stale = dict(entry, revision=2, base_revision=1, data=dict(entry["data"], place="Tổ 6"))
    result = sync.submit_entry(member, stale)
    assert result["status"] == "conflict" and result["server"]["revision"] == 2
    assert Activity.get_by_id(activity.id).place == "Nhà văn hóa tổ 5"
    # A form opened before that edit is kept aside, not written over it.
    again = client.post(f"/desk/activities/{activity.id}/edit",
                        data=dict(changed, title="Bản cũ", base_revision="1"))
    assert again.status_code == 302 and "/desk/review/conflicts/" in again.headers["Location"]
    assert Activity.get_by_id(activity.id).title == "Truyền thông phòng, chống mua bán người"


def test_the_board_corrects_an_old_activity_at_the_desk(app, client, chair):
    from webapp.book import activities
    old = local_today() - timedelta(days=200)
    activity = activities.save_activity({"title": "Hội nghị đầu năm", "kind": "forum",
                                         "date": old, "place": "", "attendee_count": 30}, chair)
    session_for(client, chair)
    response = client.post(f"/desk/activities/{activity.id}/edit", data={
        "title": "Hội nghị đầu năm", "kind": "forum", "date": old.isoformat(),
        "place": "Nhà văn hóa khu 2", "attendee_count": "32", "base_revision": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert Activity.get_by_id(activity.id).attendee_count == 32


def test_the_desk_form_sent_again_is_one_activity_and_a_change_is_an_edit_of_it(app, chair):
    """activities.record_at_desk, called as the desk's view calls it: the form's uuid stands for
    one activity; sent again as it was, nothing is written; changed, it is the board's edit of
    revision 1 (sync.desk_edit); once the activity has moved on from revision 1 (another board
    member's correction), a change sent so is kept aside for the board to compare."""
    from webapp.book import activities
    from webapp.db import new_uuid
    from webapp.models import AuditLog, SyncConflict

    uuid, day = new_uuid(), local_today()
    values = {"title": "Tập huấn kỹ năng", "kind": "training", "date": day, "place": "",
              "attendee_count": None}
    edits = []

    def edit(by, changed):
        def write(activity):
            edits.append(activity.id)
            return sync.desk_edit(by, activity, dict(activities.data_of(activity), **changed,
                                                     date=day.isoformat()), base=1)
        return write

    first = activities.record_at_desk(values, chair, uuid, edit=edit(chair, {}))
    assert (first.uuid, first.club_id, first.attendee_count, first.revision) == (
        uuid, chair.club_id, 0, 1)
    lines = AuditLog.select().count()
    again = activities.record_at_desk(values, chair, uuid, edit=edit(chair, {}))
    assert again.id == first.id and edits == [] and AuditLog.select().count() == lines

    changed = activities.record_at_desk(dict(values, attendee_count=25), chair, uuid,
                                        edit=edit(chair, {"attendee_count": 25}))
    assert changed.id == first.id and edits == [first.id]
    stored = Activity.get_by_id(first.id)
    assert (stored.attendee_count, stored.revision, Activity.select().count()) == (25, 2, 1)

    other = make_user(club=chair.club, role="chair")
    sync.desk_edit(other, stored, dict(activities.data_of(stored), date=day.isoformat(),
                                       place="Nhà văn hóa"), base=2)
    with pytest.raises(sync.KeptAside):
        activities.record_at_desk(dict(values, place="Tổ 6"), chair, uuid,
                                  edit=edit(chair, {"place": "Tổ 6"}))
    stored = Activity.get_by_id(first.id)
    assert (stored.place, stored.revision, SyncConflict.select().count()) == ("Nhà văn hóa", 3, 1)
