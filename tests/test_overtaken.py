"""Two board members change the same setting of the club (a provider, a survey round, its areas,
the year's targets, a planned visit's date), each from a form opened on the same version — at the monthly meeting, each
on their phone, or one in two tabs: the second save overwrites nothing; it is answered 409 with
the other's saved version above what was typed, to merge and save again. The same form sent twice
(a double tap, a lost answer and a retry) is still taken once."""
import html
import re

import pytest

from webapp.book import overtaken
from webapp.models import (
    Appointment, AuditLog, Case, CaseHolder, Provider, SurveyAssignment, SurveyRound, Target, User,
)

from .factories import login_as, make_case, make_user, today

HIDDEN = re.compile(r"<input[^>]*>")


def hidden_fields(page):
    """The hidden inputs of a page's forms (name: value): the csrf token, the uuid, the mark."""
    found = {}
    for tag in HIDDEN.findall(page):
        if 'type="hidden"' not in tag:
            continue
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            found[name.group(1)] = html.unescape(value.group(1)) if value else ""
    return found


@pytest.fixture
def board(client, chair):
    """The chair and a vice-chair of the same club, each logged in on their own phone (in
    Vietnamese, the desk's first language)."""
    vice = make_user(club=chair.club, role="chair", full_name="Phạm Thị Hoa")
    login_as(client, chair)
    other = client.application.test_client()
    login_as(other, vice)
    return client, other, vice


def _provider(chair):
    provider = Provider.create(club=chair.club, created_by=chair, name="Trung tâm TGPL",
                               service_kinds=["legal_aid"])
    base = {"name": "Trung tâm TGPL", "service_kinds": ["legal_aid"], "address": "", "phone": "",
            "hours": "", "notes": ""}
    return dict(
        url=f"/providers/{provider.id}/edit",
        theirs={**base, "name": "Trung tâm Trợ giúp pháp lý tỉnh"},
        mine={**base, "phone": "0203 3835 123"},
        stored=lambda: (lambda p: (p.name, p.phone))(Provider.get_by_id(provider.id)),
        before=("Trung tâm TGPL", ""),
        after_theirs=("Trung tâm Trợ giúp pháp lý tỉnh", ""),
        shown_theirs="Trung tâm Trợ giúp pháp lý tỉnh", shown_mine='value="0203 3835 123"',
        merged={**base, "name": "Trung tâm Trợ giúp pháp lý tỉnh", "phone": "0203 3835 123"},
        after_merged=("Trung tâm Trợ giúp pháp lý tỉnh", "0203 3835 123"),
    )


def _round(chair):
    round_ = SurveyRound.create(club=chair.club, created_by=chair, name="Đợt 1", starts_on=today(),
                                ends_on=today(30), areas=["Tổ 1", "Tổ 2"])
    base = {"name": "Đợt 1", "starts_on": today().isoformat(), "ends_on": today(30).isoformat(),
            "areas": "Tổ 1\nTổ 2"}
    return dict(
        url=f"/survey/{round_.id}/edit",
        theirs={**base, "areas": "Tổ 1\nTổ 2\nKhu phố 3"},
        mine={**base, "name": "Đợt tháng 12"},
        stored=lambda: (lambda r: (r.name, list(r.areas)))(SurveyRound.get_by_id(round_.id)),
        before=("Đợt 1", ["Tổ 1", "Tổ 2"]),
        after_theirs=("Đợt 1", ["Tổ 1", "Tổ 2", "Khu phố 3"]),
        shown_theirs="Khu phố 3", shown_mine='value="Đợt tháng 12"',
        merged={**base, "name": "Đợt tháng 12", "areas": "Tổ 1\nTổ 2\nKhu phố 3"},
        after_merged=("Đợt tháng 12", ["Tổ 1", "Tổ 2", "Khu phố 3"]),
    )


def _areas(chair):
    round_ = SurveyRound.create(club=chair.club, created_by=chair, name="Đợt 1", starts_on=today(),
                                ends_on=today(30), areas=["Tổ 1", "Tổ 2"])
    lan = make_user(club=chair.club, full_name="Trần Thị Lan")
    minh = make_user(club=chair.club, full_name="Lê Văn Minh")

    def stored():
        return {a.area: a.member.full_name
                for a in SurveyAssignment.select().where(SurveyAssignment.round == round_)}
    return dict(
        url=f"/survey/{round_.id}/areas",
        theirs={"area-0": str(lan.id), "area-1": ""},
        mine={"area-0": "", "area-1": str(minh.id)},
        stored=stored, before={}, after_theirs={"Tổ 1": "Trần Thị Lan"},
        shown_theirs="Trần Thị Lan", shown_mine=f'value="{minh.id}" selected',
        merged={"area-0": str(lan.id), "area-1": str(minh.id)},
        after_merged={"Tổ 1": "Trần Thị Lan", "Tổ 2": "Lê Văn Minh"},
    )


def _targets(chair):
    year = today().year

    def stored():
        t = Target.get_or_none((Target.club == chair.club) & (Target.year == year))
        return (t.consultations, t.mobilised_per_member, t.referred_percent) if t else None
    base = {"consultations": "120", "mobilised_per_member": "2", "referred_percent": "50"}
    return dict(
        url=f"/desk/targets?year={year}",
        theirs={**base, "consultations": "140"},
        mine={**base, "referred_percent": "60"},
        stored=stored, before=None, after_theirs=(140, 2, 50),
        shown_theirs="140", shown_mine='value="60"',
        merged={**base, "consultations": "140", "referred_percent": "60"},
        after_merged=(140, 2, 60),
    )


def _appointment(chair):
    member = make_user(club=chair.club)
    case = make_case(created_by=chair, assigned_to=member)
    appointment = Appointment.create(club=chair.club, case=case, member=member, due_date=today(3),
                                     created_by=chair)

    def stored():
        a = Appointment.get_by_id(appointment.id)
        return (a.due_date, a.rescheduled_reason)
    return dict(
        url=f"/desk/agenda/{appointment.id}",
        theirs={"action": "move", "move-due_date": today(5).isoformat(),
                "move-reason": "Gia đình đi vắng"},
        mine={"action": "move", "move-due_date": today(7).isoformat(),
              "move-reason": "Hẹn lại vì bận họp"},
        stored=stored, before=(today(3), ""), after_theirs=(today(5), "Gia đình đi vắng"),
        shown_theirs="Gia đình đi vắng", shown_mine="Hẹn lại vì bận họp</textarea>",
        merged={"action": "move", "move-due_date": today(7).isoformat(),
                "move-reason": "Gia đình đi vắng; hẹn lại vì bận họp"},
        after_merged=(today(7), "Gia đình đi vắng; hẹn lại vì bận họp"),
    )


SETTINGS = {"provider": _provider, "survey round": _round, "survey areas": _areas,
            "targets": _targets, "planned visit": _appointment}


def _send(client, url, form, data):
    """Post `data` with the hidden fields of the form as it was drawn (`form`)."""
    return client.post(url, data={**form, **data})


def opened_by_both(board, chair, setting):
    """The setting, and its form's hidden fields as the chair's and the vice-chair's phones drew
    it: on the same version."""
    client, other, _vice = board
    case = SETTINGS[setting](chair)
    mine = hidden_fields(client.get(case["url"]).get_data(as_text=True))
    theirs = hidden_fields(other.get(case["url"]).get_data(as_text=True))
    assert case["stored"]() == case["before"]
    return case, mine, theirs


@pytest.mark.parametrize("setting", SETTINGS)
def test_a_save_from_a_form_opened_before_another_saved_overwrites_nothing(board, chair, setting):
    client, other, _vice = board
    case, mine, theirs = opened_by_both(board, chair, setting)
    url = case["url"]
    assert _send(other, url, theirs, case["theirs"]).status_code == 302
    assert case["stored"]() == case["after_theirs"]
    late = _send(client, url, mine, case["mine"])
    page = late.get_data(as_text=True)
    assert case["stored"]() == case["after_theirs"]  # the vice-chair's save stands
    assert late.status_code == 409
    # Both versions on the page: the other's saved, above the chair's typed (still in the form);
    # and what to do, in Vietnamese.
    assert case["shown_theirs"] in page and case["shown_mine"] in page
    assert page.index("Bản Phạm Thị Hoa đã lưu") < page.index(case["shown_mine"])
    assert "không có gì bị ghi đè" in page and "rồi lưu lần nữa" in page
    # Saved again from that page (it names the version it showed), the merge is taken.
    again = hidden_fields(page)
    assert _send(client, url, again, case["merged"]).status_code == 302
    assert case["stored"]() == case["after_merged"]


@pytest.mark.parametrize("setting", SETTINGS)
def test_the_same_save_sent_twice_is_taken_once(board, chair, setting):
    """A double tap, or the phone sending again after a lost answer: not 'overtaken'."""
    client, _other, _vice = board
    case = SETTINGS[setting](chair)
    url = case["url"]
    form = hidden_fields(client.get(url).get_data(as_text=True))
    first = _send(client, url, form, case["theirs"])
    lines = AuditLog.select().count()
    again = _send(client, url, form, case["theirs"])
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert case["stored"]() == case["after_theirs"]
    assert AuditLog.select().count() == lines  # the second sending wrote nothing


@pytest.mark.parametrize("setting", SETTINGS)
def test_two_who_typed_the_same_are_not_overtaken(board, chair, setting):
    client, other, _vice = board
    case, mine, theirs = opened_by_both(board, chair, setting)
    url = case["url"]
    assert _send(other, url, theirs, case["theirs"]).status_code == 302
    assert _send(client, url, mine, case["theirs"]).status_code == 302
    assert case["stored"]() == case["after_theirs"]


# --- The rule itself ------------------------------------------------------------------------------

def test_check_takes_a_save_on_the_version_it_was_opened_on():
    saved = {"name": "A", "areas": ["Tổ 1"]}
    overtaken.check(overtaken.mark(saved), saved, {"name": "B", "areas": ["Tổ 1"]})


def test_check_refuses_a_save_on_an_older_version_and_names_who_saved(chair):
    opened_on, saved = {"name": "A"}, {"name": "B"}
    with pytest.raises(overtaken.Overtaken) as raised:
        overtaken.check(overtaken.mark(opened_on), saved, {"name": "C"}, by=lambda: chair)
    assert raised.value.saved == saved and raised.value.by == chair
    assert chair.full_name in str(raised.value.message)


def test_check_takes_what_the_record_already_holds():
    """A retry after the first sending was written: the record holds what it sends."""
    overtaken.check(overtaken.mark({"name": "A"}), {"name": "B"}, {"name": "B"})


def test_a_form_that_names_no_version_is_not_checked():
    overtaken.check("", {"name": "B"}, {"name": "C"})
    overtaken.check(None, {"name": "B"}, {"name": "C"})


def test_the_mark_is_of_the_values_not_their_order():
    assert overtaken.mark({"a": 1, "b": [2]}) == overtaken.mark({"b": [2], "a": 1})
    assert overtaken.mark({"a": 1}) != overtaken.mark({"a": 2})


# --- Sent with the token of an earlier login ------------------------------------------------------

@pytest.mark.parametrize("setting", ["provider", "survey round", "targets", "planned visit"])
def test_a_page_drawn_again_after_logging_in_again_still_names_the_version_it_was_opened_on(
        csrf_app, setting):
    """The chair's session ended while they typed (they logged in again in another tab); meanwhile
    the vice-chair saved. The page drawn again with what was typed (forms.form_again) still names
    the version it was opened on, so its next save is overtaken, not written over theirs."""
    from .test_desk_retries import HERE, log_in, log_in_again

    chair = make_user(role="chair")
    vice = make_user(club=chair.club, role="chair", full_name="Phạm Thị Hoa")
    client, other = csrf_app.test_client(), csrf_app.test_client()
    log_in(client, chair)
    log_in(other, vice)
    case = SETTINGS[setting](chair)
    url = case["url"]
    # (The hidden fields hold each page's token.)
    mine = hidden_fields(client.get(url).get_data(as_text=True))
    theirs = hidden_fields(other.get(url).get_data(as_text=True))
    assert _send(other, url, theirs, case["theirs"]).status_code == 302
    log_in_again(client, chair)
    drawn = client.post(url, data={**mine, **case["mine"]}, headers={"Origin": HERE})
    page = drawn.get_data(as_text=True)
    assert drawn.status_code == 400 and case["shown_mine"] in page  # what was typed, kept
    late = _send(client, url, hidden_fields(page), case["mine"])
    assert case["stored"]() == case["after_theirs"]
    assert late.status_code == 409


# --- Giving a case to a member from a page opened before another board member gave it ----------

def _assigned_lines(case):
    return (AuditLog.select().where((AuditLog.action == "case_assigned")
                                    & (AuditLog.object_id == case.id)).count())


def _holders(case, member):
    return CaseHolder.select().where((CaseHolder.case == case.id)
                                     & (CaseHolder.member == member.id)).count()


def test_assigning_from_a_page_opened_before_another_assigned_the_case_overwrites_nothing(
        board, chair):
    """The chair opened the case page while it was theirs; meanwhile the vice-chair gave it to
    Lan. The chair's 'give it to Minh' from the old page writes nothing: they are told, in
    Vietnamese, that Lan has it now and to assign again from the page as it is now; assigned again
    from that page, it is written."""
    client, other, _vice = board
    case = make_case(created_by=chair)
    lan = make_user(club=chair.club, full_name="Trần Thị Lan")
    minh = make_user(club=chair.club, full_name="Lê Văn Minh")
    url, page = f"/desk/cases/{case.id}/assign", f"/desk/cases/{case.id}"
    mine = hidden_fields(client.get(page).get_data(as_text=True))
    theirs = hidden_fields(other.get(page).get_data(as_text=True))
    assert _send(other, url, theirs, {"member": str(lan.id)}).status_code == 302
    late = client.post(url, data={**mine, "member": str(minh.id)}, follow_redirects=True)
    assert Case.get_by_id(case.id).assigned_to_id == lan.id  # the vice-chair's stands
    assert _assigned_lines(case) == 1 and _holders(case, minh) == 0
    shown = late.get_data(as_text=True)
    assert ("đối tượng này đã được phân công cho Trần Thị Lan theo dõi: chưa có gì thay đổi"
            in shown)
    assert "rồi bấm Phân công lại" in shown and "Đã phân công theo dõi đối tượng." not in shown
    # From the page as it is now, the chair's choice is taken.
    assert _send(client, url, hidden_fields(shown), {"member": str(minh.id)}).status_code == 302
    assert Case.get_by_id(case.id).assigned_to_id == minh.id
    assert _assigned_lines(case) == 2 and _holders(case, minh) == 1


def test_the_same_assignment_sent_twice_is_taken_once(board, chair):
    """A double tap, or a retry after a lost answer, from the same page: taken, said so, and one
    audit line and one holder's row."""
    client, _other, _vice = board
    case = make_case(created_by=chair)
    minh = make_user(club=chair.club, full_name="Lê Văn Minh")
    url = f"/desk/cases/{case.id}/assign"
    form = hidden_fields(client.get(f"/desk/cases/{case.id}").get_data(as_text=True))
    first = _send(client, url, form, {"member": str(minh.id)})
    again = client.post(url, data={**form, "member": str(minh.id)}, follow_redirects=True)
    assert first.status_code == 302 and again.status_code == 200
    assert "Đã phân công theo dõi đối tượng." in again.get_data(as_text=True)
    assert Case.get_by_id(case.id).assigned_to_id == minh.id
    assert _assigned_lines(case) == 1 and _holders(case, minh) == 1


def test_two_who_gave_the_case_to_the_same_member_are_not_overtaken(board, chair):
    client, other, _vice = board
    case = make_case(created_by=chair)
    lan = make_user(club=chair.club, full_name="Trần Thị Lan")
    url, page = f"/desk/cases/{case.id}/assign", f"/desk/cases/{case.id}"
    mine = hidden_fields(client.get(page).get_data(as_text=True))
    theirs = hidden_fields(other.get(page).get_data(as_text=True))
    _send(other, url, theirs, {"member": str(lan.id)})
    _send(client, url, mine, {"member": str(lan.id)})
    assert Case.get_by_id(case.id).assigned_to_id == lan.id
    assert _assigned_lines(case) == 1 and _holders(case, lan) == 1


def test_assign_refuses_a_page_drawn_on_another_assignee(chair):
    """The rule, called directly: who has it now is in the message."""
    from webapp.book import cases

    case = make_case(created_by=chair)
    lan = make_user(club=chair.club, full_name="Trần Thị Lan")
    minh = make_user(club=chair.club, full_name="Lê Văn Minh")
    drawn = cases.assigned_mark(case)
    cases.assign(case, lan, chair, seen=drawn)
    with pytest.raises(overtaken.Overtaken) as raised:
        cases.assign(case, minh, chair, seen=drawn)
    assert "Trần Thị Lan" in str(raised.value.message)
    assert Case.get_by_id(case.id).assigned_to_id == lan.id


# --- A supervisor's area, set by two admins from pages opened on the same area -----------------

@pytest.fixture
def admins(client):
    """Two admins, each logged in on their own browser (in Vietnamese)."""
    first = make_user(role="admin", full_name="Nguyễn Văn An")
    second = make_user(role="admin", full_name="Đặng Thị Bình")
    login_as(client, first)
    other = client.application.test_client()
    login_as(other, second)
    return client, other


def _area_lines(account):
    return (AuditLog.select().where((AuditLog.action == "account_area_changed")
                                    & (AuditLog.object_id == account.id)).count())


def test_an_area_saved_from_a_page_opened_before_another_admin_saved_overwrites_nothing(admins):
    client, other = admins
    supervisor = make_user(role="supervisor", area="Hạ Long")
    url = f"/admin/users/{supervisor.id}"
    mine = hidden_fields(client.get(url).get_data(as_text=True))
    theirs = hidden_fields(other.get(url).get_data(as_text=True))
    assert _send(other, url, theirs, {"area-area": "Quảng Ninh"}).status_code == 302
    late = _send(client, url, mine, {"area-area": "Cẩm Phả"})
    page = late.get_data(as_text=True)
    assert User.get_by_id(supervisor.id).area == "Quảng Ninh"  # the other admin's stands
    assert late.status_code == 409 and _area_lines(supervisor) == 1
    assert "Bản Đặng Thị Bình đã lưu" in page and "Quảng Ninh" in page
    assert page.index("Bản Đặng Thị Bình đã lưu") < page.index('value="Cẩm Phả"')
    assert "không có gì bị ghi đè" in page and "rồi lưu lần nữa" in page
    # Saved again from that page (it names the version it showed), it is taken.
    assert _send(client, url, hidden_fields(page), {"area-area": "Cẩm Phả"}).status_code == 302
    assert User.get_by_id(supervisor.id).area == "Cẩm Phả" and _area_lines(supervisor) == 2


def test_the_same_area_sent_twice_is_taken_once(admins):
    client, _other = admins
    supervisor = make_user(role="supervisor", area="Hạ Long")
    url = f"/admin/users/{supervisor.id}"
    form = hidden_fields(client.get(url).get_data(as_text=True))
    first = _send(client, url, form, {"area-area": "Cẩm Phả"})
    again = _send(client, url, form, {"area-area": "Cẩm Phả"})
    assert first.status_code == again.status_code == 302
    assert User.get_by_id(supervisor.id).area == "Cẩm Phả" and _area_lines(supervisor) == 1


def test_set_area_refuses_a_form_opened_on_another_area(app):
    from webapp.book import supervisors

    admin = make_user(role="admin")
    supervisor = make_user(role="supervisor", area="Hạ Long")
    drawn = overtaken.mark(supervisors.area_values(supervisor))
    assert supervisors.set_area(supervisor, "Quảng Ninh", admin, seen=drawn) is True
    with pytest.raises(overtaken.Overtaken) as raised:
        supervisors.set_area(supervisor, "Cẩm Phả", admin, seen=drawn)
    assert raised.value.saved == {"area": "Quảng Ninh"} and raised.value.by == admin
    assert User.get_by_id(supervisor.id).area == "Quảng Ninh"
