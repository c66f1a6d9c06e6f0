"""The desk's book: forms with bad input, club isolation, who may use it, and what each action does."""

import pytest

from webapp.models import (
    Activity, Appointment, Attendance, AuditLog, Case, Consent, EntryRevision, Referral, Review, Visit,
)

from .factories import dated, in_days, login_as, make_case, make_club, make_user, today



@pytest.fixture
def chair(chair, client, in_english):
    """The club's chair, logged in at the desk."""
    login_as(client, chair)
    return chair


def make_activity(club, by, **overrides):
    fields = dict(club=club, created_by=by, kind="awareness", date=today(), title="Truyền thông",
                  review_status="approved")
    fields.update(overrides)
    return Activity.create(**fields)


GOOD_CASE = {"full_name": "Nguyễn Thị Mai", "sex": "female", "birth_year": "1999",
             "categories": ["at_risk"], "risk_level": "medium", "consent_follow": "y"}


@pytest.mark.parametrize("changes, message", [
    ({"full_name": ""}, "Enter the person&#39;s full name."),
    ({"full_name": "x" * 121}, "Use at most 120 characters."),
    ({"sex": ""}, "Choose the person&#39;s sex."),
    ({"sex": "robot"}, "Choose one of the options."),
    ({"birth_year": "nineteen"}, "Enter a whole number."),
    ({"birth_year": "1850"}, "Enter a number between 1900 and"),
    ({"categories": []}, "Choose at least one category."),
    ({"risk_level": ""}, "Choose the risk level."),
    ({"phone": "0" * 21}, "Use at most 20 characters."),
    ({"phone": "abc"}, "Enter a Vietnamese phone number, e.g. 0912 345 678 or 024 3825 1234."),
    ({"assigned_to": "999999"}, "Choose a member of the club."),
])
def test_register_case_with_bad_input(client, chair, changes, message):
    response = client.post("/desk/cases/new", data={**GOOD_CASE, **changes})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert Case.select().count() == 0


def test_register_case_gives_a_code_and_self_approves(client, chair):
    response = client.post("/desk/cases/new", data=GOOD_CASE)
    case = Case.get()
    assert response.headers["Location"].endswith(f"/desk/cases/{case.id}")
    assert case.code.startswith(chair.club.code_prefix) and case.review_status == "approved"
    assert Review.get(Review.entry_uuid == case.uuid).decision == "self_approved"
    assert Consent.select().where((Consent.case == case) & Consent.given).count() == 1


@pytest.mark.parametrize("changes, message", [
    ({"date": ""}, "Enter the date of the visit."),
    ({"date": in_days(1)}, "The date cannot be in the future."),
    ({"kind": ""}, "Choose the kind of contact."),
    ({"topics": ["made_up"]}, "Choose one of the options."),
    ({"follow_up_date": in_days(-3)},
     "The follow-up date cannot be before the visit."),
    ({"notes": "n" * 4001}, "Use at most 4000 characters."),
])
def test_record_visit_with_bad_input(client, chair, changes, message):
    case = make_case(created_by=chair)
    data = {"date": today().isoformat(), "kind": "home_visit", **dated(changes)}
    response = client.post(f"/desk/cases/{case.id}/visits/new", data=data)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert Visit.select().count() == 0


def test_record_visit_with_follow_up(client, chair):
    case = make_case(created_by=chair)
    data = {"date": today().isoformat(), "kind": "home_visit", "topics": ["safe_migration"],
            "notes": "<script>alert(1)</script>",
            "follow_up_date": today(7).isoformat()}
    assert client.post(f"/desk/cases/{case.id}/visits/new", data=data).status_code == 302
    visit = Visit.get()
    assert visit.case_id == case.id and visit.review_status == "approved"  # the chair's own
    appointment = Appointment.get(Appointment.source_visit == visit)
    assert appointment.member_id == chair.id
    assert appointment.due_date == today(7)
    page = client.get(f"/desk/cases/{case.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page


@pytest.mark.parametrize("changes, message", [
    ({"service_kind": ""}, "Choose the service."),
    ({"provider": ""}, "Enter the service provider."),
    ({"referred_on": in_days(2)}, "The date cannot be in the future."),
    ({"referred_on": "31/12/2026"}, "Enter a valid date."),
])
def test_referral_with_bad_input(client, chair, changes, message):
    case = make_case(created_by=chair, consent=("follow", "refer"))
    data = {"service_kind": "legal_aid", "provider": "TGPL", "referred_on": today().isoformat(),
            **dated(changes)}
    response = client.post(f"/desk/cases/{case.id}/referrals/new", data=data)
    assert message in response.get_data(as_text=True)
    assert Referral.select().count() == 0


def test_referral_needs_consent_and_moves_on(client, chair):
    refused = make_case(created_by=chair, consent=("follow",))
    data = {"service_kind": "legal_aid", "provider": "TGPL", "referred_on": today().isoformat()}
    response = client.post(f"/desk/cases/{refused.id}/referrals/new", data=data)
    assert "has not agreed to be referred" in response.get_data(as_text=True)
    case = make_case(created_by=chair, consent=("follow", "refer"))
    assert client.post(f"/desk/cases/{case.id}/referrals/new", data=data).status_code == 302
    referral = Referral.get()
    client.post(f"/desk/referrals/{referral.id}/status", data={"status": "completed",
                                                              "outcome": "service_received"})
    assert Referral.get_by_id(referral.id).status == "referred"
    client.post(f"/desk/referrals/{referral.id}/status", data={"status": "accepted"})
    client.post(f"/desk/referrals/{referral.id}/status",
                data={"status": "completed", "outcome": "service_received", "note": "Tốt"})
    referral = Referral.get_by_id(referral.id)
    assert (referral.status, referral.outcome, referral.outcome_note) == (
        "completed", "service_received", "Tốt")


def test_consent_recorded_and_withdrawn(client, chair):
    case = make_case(created_by=chair, consent=("follow",))
    client.post(f"/desk/cases/{case.id}/consent", data={"purpose": "share", "given": "1"})
    client.post(f"/desk/cases/{case.id}/consent", data={"purpose": "follow", "given": "0"})
    rows = {(c.purpose, c.given, c.withdrawn_at is None) for c in Consent.select()}
    assert rows == {("follow", True, False), ("share", True, True)}
    page = client.get(f"/desk/cases/{case.id}/consent")
    assert page.status_code == 200 and case.code in page.get_data(as_text=True)


def test_assign_close_and_reopen(client, chair):
    case = make_case(created_by=chair)
    member = make_user(club=chair.club)
    client.post(f"/desk/cases/{case.id}/assign", data={"member": str(member.id)})
    assert Case.get_by_id(case.id).assigned_to_id == member.id
    stranger = make_user(role="member")
    client.post(f"/desk/cases/{case.id}/assign", data={"member": str(stranger.id)})
    assert Case.get_by_id(case.id).assigned_to_id == member.id
    response = client.post(f"/desk/cases/{case.id}/close", data={"reason": ""},
                           follow_redirects=True)
    assert "Give the reason for closing the case." in response.get_data(as_text=True)
    assert Case.get_by_id(case.id).status == "active"
    client.post(f"/desk/cases/{case.id}/close", data={"reason": "Đã ổn định"})
    assert Case.get_by_id(case.id).status == "closed"
    client.post(f"/desk/cases/{case.id}/reopen")
    assert Case.get_by_id(case.id).status == "active"


def test_case_page_shows_the_timeline_and_is_audited(client, chair):
    case = make_case(created_by=chair, consent=("follow", "refer"))
    Visit.create(club=chair.club, case=case, created_by=chair, date=today(), kind="phone_call",
                 topics=["reporting"], notes="Gọi hỏi thăm")
    activity = make_activity(chair.club, chair, title="Hội thi tìm hiểu")
    Attendance.create(club=chair.club, activity=activity, case=case, brought_by=chair,
                      created_by=chair)
    page = client.get(f"/desk/cases/{case.id}").get_data(as_text=True)
    assert "Gọi hỏi thăm" in page and "Hội thi tìm hiểu" in page and "Phone call" in page
    log = AuditLog.get(AuditLog.action == "case_viewed")
    assert log.object_id == case.id and log.details == {"code": case.code}


def test_search_and_filters(client, chair):
    mai = make_case(created_by=chair, full_name="Lê Thị Mai", risk_level="high",
                    categories=("victim",))
    hung = make_case(created_by=chair, full_name="Vũ Văn Hùng", categories=("returnee",))
    make_case(club=make_club(), full_name="Lê Thị Mai Khác")

    def listed(**args):
        page = client.get("/desk/cases/", query_string=args,
                          follow_redirects=True).get_data(as_text=True)
        return {c.code for c in (mai, hung) if c.code in page}, page

    assert listed(q="mai")[0] == {mai.code}
    assert "Mai Khác" not in listed(q="mai")[1]
    assert listed(q=hung.code)[0] == {hung.code}
    assert listed(category="returnee")[0] == {hung.code}
    assert listed(risk="high")[0] == {mai.code}
    assert listed(status="closed")[0] == set()
    assert listed(member=chair.id)[0] == {mai.code, hung.code}


@pytest.mark.parametrize("url", ["/desk/cases/", "/desk/requests/"])
def test_a_name_searched_for_never_appears_in_an_address(client, chair, url):
    """History, bookmarks and logs keep addresses: the name travels posted, then sealed."""
    from urllib.parse import parse_qs, unquote, urlsplit

    mai = make_case(created_by=chair, full_name="Lê Thị Mai")
    make_case(created_by=chair, full_name="Vũ Văn Hùng")
    posted = client.post(url, data={"q": "Lê Thị Mai", "status": "active"})
    assert posted.status_code == 303
    address = unquote(posted.headers["Location"])
    assert "Mai" not in address and "L%C3%AA" not in posted.headers["Location"]
    page = client.get(posted.headers["Location"]).get_data(as_text=True)
    assert mai.code in page and "Vũ Văn Hùng" not in page
    assert 'value="Lê Thị Mai"' in page  # the box still shows what was searched
    # A bookmark or link with the name in it is sent on to the sealed address, too.
    moved = client.get(url, query_string={"q": "Lê Thị Mai"})
    assert moved.status_code == 303 and "Mai" not in unquote(moved.headers["Location"])
    # A token that is not the server's searches for nothing.
    token = parse_qs(urlsplit(posted.headers["Location"]).query)["s"][0]
    forged = client.get(url, query_string={"s": token[:-4] + "AAAA"}).get_data(as_text=True)
    assert 'value="Lê Thị Mai"' not in forged


def test_desk_edit_is_a_new_revision_and_the_phone_meets_a_conflict(client, chair):
    member = make_user(club=chair.club)
    client.post("/logout")
    client.set_cookie("sotd_lang", "en")
    login_as(client, member)
    entry = {"uuid": "5b0c8a5e-4a6b-4a0e-8b5d-1c0c1d2e3f40", "type": "case", "revision": 1,
             "data": {"full_name": "Đỗ Thu Trang", "sex": "female", "categories": ["at_risk"],
                      "risk_level": "low",
                      "consent": {"follow": True, "refer": False, "share": False}}}
    assert client.post("/api/v1/sync", json={"entries": [entry]}).get_json()[
        "results"][0]["status"] == "created"
    client.post("/logout")
    login_as(client, chair)
    case = Case.get(Case.uuid == entry["uuid"])
    form = client.get(f"/desk/cases/{case.id}/edit").get_data(as_text=True)
    assert "Đỗ Thu Trang" in form
    data = {**GOOD_CASE, "full_name": "Đỗ Thu Trang (sửa)", "assigned_to": str(member.id)}
    assert client.post(f"/desk/cases/{case.id}/edit", data=data).status_code == 302
    case = Case.get_by_id(case.id)
    assert case.full_name == "Đỗ Thu Trang (sửa)" and case.revision == 2
    assert EntryRevision.select().where(EntryRevision.uuid == case.uuid).count() == 2
    client.post("/logout")
    login_as(client, member)
    stale = dict(entry, revision=2, base_revision=1)
    result = client.post("/api/v1/sync", json={"entries": [stale]}).get_json()["results"][0]
    assert result["status"] == "conflict"
    assert Case.get_by_id(case.id).full_name == "Đỗ Thu Trang (sửa)"


@pytest.mark.parametrize("changes, message", [
    ({"title": ""}, "Enter the activity&#39;s title."),
    ({"kind": ""}, "Choose the kind of activity."),
    ({"date": "not a date"}, "Enter a valid date."),
    ({"attendee_count": "-1"}, "Enter a number between 0 and 100000."),
    ({"attendee_count": "many"}, "Enter a whole number."),
])
def test_activity_with_bad_input(client, chair, changes, message):
    data = {"title": "Tập huấn", "kind": "training", "date": today().isoformat(),
            "attendee_count": "30", **changes}
    response = client.post("/desk/activities/", data=data)
    assert message in response.get_data(as_text=True)
    assert Activity.select().count() == 0


def test_activity_and_attendance(client, chair):
    assert client.post("/desk/activities/", data={
        "title": "Tập huấn", "kind": "training", "date": today().isoformat(),
        "attendee_count": "30"}).status_code == 302
    activity = Activity.get()
    case = make_case(created_by=chair)
    member = make_user(club=chair.club)
    data = {"case_uuid": case.uuid, "brought_by": str(member.id)}
    assert client.post(f"/desk/activities/{activity.id}", data=data).status_code == 302
    attendance = Attendance.get()
    assert attendance.brought_by_id == member.id and attendance.case_id == case.id
    again = client.post(f"/desk/activities/{activity.id}", data=data)
    assert "already recorded" in again.get_data(as_text=True)
    missing = client.post(f"/desk/activities/{activity.id}", data={"case_uuid": ""})
    assert "Choose the case." in missing.get_data(as_text=True)
    other = make_case(club=make_club())
    foreign = client.post(f"/desk/activities/{activity.id}", data={"case_uuid": other.uuid})
    assert "does not have this case" in foreign.get_data(as_text=True)
    assert Attendance.select().count() == 1
    edit = client.post(f"/desk/activities/{activity.id}/edit", data={
        "title": "Tập huấn kỹ năng", "kind": "training", "date": today().isoformat()})
    assert edit.status_code == 302 and Activity.get().title == "Tập huấn kỹ năng"


def test_data_request_show_correct_and_erase(client, chair):
    case = make_case(created_by=chair, full_name="Phạm Thị Hoa", phone="0987654321")
    Visit.create(club=chair.club, case=case, created_by=chair, date=today(), kind="home_visit",
                 notes="Chuyện gia đình")
    found = client.post("/desk/requests/", data={"q": "hoa"},
                        follow_redirects=True).get_data(as_text=True)
    assert case.code in found
    page = client.get(f"/desk/requests/{case.id}").get_data(as_text=True)
    assert "Phạm Thị Hoa" in page and "0987654321" in page and "Chuyện gia đình" in page
    assert AuditLog.select().where(AuditLog.action == "data_request_shown").count() == 1
    wrong = client.post(f"/desk/requests/{case.id}/erase", data={"confirm": "XX-0000-000"})
    assert wrong.status_code == 400 and "nothing was erased" in wrong.get_data(as_text=True)
    assert Case.get_by_id(case.id).full_name == "Phạm Thị Hoa"
    done = client.post(f"/desk/requests/{case.id}/erase", data={"confirm": case.code.lower()})
    assert done.status_code == 302
    erased = Case.get_by_id(case.id)
    assert erased.full_name == "" and erased.phone == "" and erased.erased_at is not None
    assert Visit.get().notes == "" and Visit.select().count() == 1
    assert AuditLog.get(AuditLog.action == "case_erased").details == {"code": case.code}
    assert client.get(f"/desk/cases/{case.id}").status_code == 410  # "erased at their request"


def _book_urls(case, activity, referral):
    return [
        ("GET", "/desk/cases/"), ("GET", "/desk/cases/new"), ("POST", "/desk/cases/new"),
        ("GET", f"/desk/cases/{case.id}"), ("GET", f"/desk/cases/{case.id}/edit"),
        ("POST", f"/desk/cases/{case.id}/edit"), ("POST", f"/desk/cases/{case.id}/assign"),
        ("POST", f"/desk/cases/{case.id}/close"), ("POST", f"/desk/cases/{case.id}/reopen"),
        ("GET", f"/desk/cases/{case.id}/consent"), ("POST", f"/desk/cases/{case.id}/consent"),
        ("GET", f"/desk/cases/{case.id}/visits/new"),
        ("POST", f"/desk/cases/{case.id}/visits/new"),
        ("GET", f"/desk/cases/{case.id}/referrals/new"),
        ("POST", f"/desk/cases/{case.id}/referrals/new"),
        ("POST", f"/desk/referrals/{referral.id}/status"),
        ("GET", "/desk/activities/"), ("POST", "/desk/activities/"),
        ("GET", f"/desk/activities/{activity.id}"), ("POST", f"/desk/activities/{activity.id}"),
        ("GET", f"/desk/activities/{activity.id}/edit"),
        ("POST", f"/desk/activities/{activity.id}/edit"),
        ("GET", "/desk/requests/"), ("GET", f"/desk/requests/{case.id}"),
        ("POST", f"/desk/requests/{case.id}/erase"),
    ]


def _records_of_another_club():
    club = make_club()
    other_chair = make_user(club=club, role="chair")
    case = make_case(created_by=other_chair, consent=("follow", "refer"))
    activity = make_activity(club, other_chair)
    referral = Referral.create(club=club, case=case, created_by=other_chair,
                               service_kind="legal_aid", provider="TGPL", referred_on=today())
    return case, activity, referral


def test_another_clubs_ids_answer_404(client, chair):
    case, activity, referral = _records_of_another_club()
    for method, url in _book_urls(case, activity, referral):
        if "/desk/cases/" not in url and "/desk/activities/" not in url \
                and "/desk/referrals/" not in url and "/desk/requests/" not in url:
            continue
        if url.rstrip("/").endswith(("cases", "new", "activities", "requests")):
            continue
        response = client.open(url, method=method, data={"purpose": "follow", "given": "0",
                                                         "confirm": case.code})
        assert response.status_code == 404, (method, url)
    assert Case.get_by_id(case.id).erased_at is None
    assert Consent.get(Consent.case == case, Consent.purpose == "follow").withdrawn_at is None


@pytest.mark.parametrize("role", ["member", "supervisor", "admin"])
def test_only_chairs_use_the_desk_book(client, role):
    user = make_user(role=role)
    case, activity, referral = _records_of_another_club()
    if role == "member":
        case = make_case(created_by=user)
    login_as(client, user)
    for method, url in _book_urls(case, activity, referral):
        assert client.open(url, method=method).status_code == 403, (method, url)


def test_anonymous_is_sent_to_login(client):
    case, activity, referral = _records_of_another_club()
    for method, url in _book_urls(case, activity, referral):
        response = client.open(url, method=method)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
