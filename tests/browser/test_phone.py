"""The field app's words and its answers to what the server says: labels from the schema, erased
cases, waiting counts, clocks, consent in the field, two versions side by side (issues 12–14).

Each test counts what the server holds as well as what the phone shows (TESTING.md).
"""
import importlib.util
import json
import os
from datetime import datetime, timedelta

import pytest

from webapp.book import cases, consent
from webapp.book import sync as sync_module
from webapp.db import utcnow
from webapp.models import Case, EntryRevision, LoginSession, Referral, User, Visit

from ..factories import PASSWORD, make_case, make_club, make_returned_visit, make_user
from .test_field_app import (
    HELD, STORAGE_DUMP, fill_visit, go_offline, go_online, member_of, no_background_sync, open_app,
    record_visit, register_case, sync_once, wait_all_sent, waiting,
)
from .conftest import log_in, submit_login

pytestmark = pytest.mark.browser

# Everything the phone holds for the user logged in, decrypted as the app reads it.
STORAGE_DUMP_OPEN = "async () => JSON.stringify(await self.sotd.snapshot())"
# The forms the user logged in has half filled in, decrypted (core.drafts).
DRAFTS = "async () => self.sotd.drafts(await self.sotd.currentUser())"


def test_labels_and_codes_come_from_the_schema_and_the_fields_vocabulary(live_server, phone):
    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member, address="Số 4 ngõ 12", neighbourhood="Tổ 3",
                     consent=("follow",))  # not "refer": a referral is refused
    page = open_app(phone.new_page(), live_server, member)
    strings = json.loads(page.locator("#ui-strings").text_content())
    assert not [key for key in strings if key.startswith("f_")]  # no second copy of the labels

    page.evaluate(f"location.hash = '#/case/{case.uuid}'")
    facts = page.locator("dl.facts").inner_text()
    assert "Số 4 ngõ 12" in facts and "Tổ 3" in facts
    titles = page.evaluate("async () => (await self.sotd.snapshot()).schema.$defs.case.properties")
    for name in ("address", "neighbourhood", "categories", "risk_level"):  # fields.py's words
        assert titles[name]["title"] in facts
    assert "Nhóm đối tượng" in facts and "Người có nguy cơ trở thành nạn nhân" in facts

    # A code means what the vocabulary of its field says, even where another vocabulary holds it.
    labels = page.evaluate("""async () => {
      const views = await import("/static/js/views.js");
      const schema = (await self.sotd.snapshot()).schema;
      const state = { schema, working: { vocabularies: {
        sex: [{ code: "other", label: "Giới tính khác" }],
        topic: [{ code: "other", label: "Chủ đề khác" }] } } };
      return [views.shown(state, "case", "sex", "other"), views.shown(state, "visit", "topics", ["other"])];
    }""")
    assert labels == ["Giới tính khác", "Chủ đề khác"]

    # A refusal names the field by its label, never by its key.
    page.evaluate(f"location.hash = '#/new/referral?case={case.uuid}'")
    page.select_option("#f-service_kind", index=1)
    page.fill("#f-provider", "Trung tâm Công tác xã hội")
    page.click("form button[type=submit]")
    page.locator("dialog[open] button").nth(1).click()  # no consent to refer: save it anyway
    page.wait_for_selector(".alert--success")
    sync_once(page)
    errors = page.locator(".outbox__item[data-state=invalid] .outbox__errors").inner_text()
    label = page.evaluate(
        "async () => (await self.sotd.snapshot()).schema.$defs.referral.properties.case_uuid.title")
    assert errors.startswith(label + ": ") and "case_uuid" not in errors
    assert Referral.select().count() == 0
    # Opened to fix it, the server's reason is the field's error, and its input's description.
    page.locator(".outbox__item[data-state=invalid] a[href^='#/fix/']").click()
    reason = page.locator("[data-field=case_uuid] .field__error:not([hidden])")
    reason.wait_for()
    field = page.locator("#f-case_uuid")
    assert field.get_attribute("aria-invalid") == "true"
    assert page.locator("#" + field.get_attribute("aria-describedby")).inner_text() \
        == reason.inner_text() and reason.inner_text() in errors


def record_visit_offline(page, phone, case, notes):
    go_offline(phone)
    record_visit(page, case.uuid, notes)


def test_every_sync_posts_once_with_the_waiting_count_and_saved_becomes_sent(live_server, phone):
    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member)
    posts = []

    def count(route):
        posts.append(json.loads(route.request.post_data))
        route.continue_()

    phone.route("**/api/v1/sync", count)
    page = open_app(phone.new_page(), live_server, member)
    page.wait_for_function("() => !document.querySelector('[data-action=sync]')?.disabled")
    assert posts and posts[0] == {"entries": [], "waiting": 0}  # nothing to send: it posts anyway

    record_visit_offline(page, phone, case, "Lượt một")
    record_visit(page, case.uuid, "Lượt hai")
    posts.clear()
    go_online(phone)
    page.evaluate(f"location.hash = '#/case/{case.uuid}'")
    sync_once(page)
    assert (len(posts[0]["entries"]), posts[0]["waiting"]) == (2, 2)
    assert all(p == {"entries": [], "waiting": 0} for p in posts[1:])  # then nothing waits
    assert Visit.select().count() == 2

    # Saved online: the notice says "saved on the phone", then "sent" once the server has it.
    posts.clear()
    record_visit(page, case.uuid, "Lượt ba")
    page.wait_for_selector(".alert--success:has-text('Đã gửi')")
    assert (len(posts[0]["entries"]), posts[0]["waiting"]) == (1, 1)
    assert Visit.select().count() == 3 and waiting(page) == 0


def test_an_erased_case_leaves_the_phone_at_once_with_one_line(live_server, phone):
    club = make_club()
    member = member_of(club)
    chair = make_user(club=club, role="chair")
    case = make_case(club=club, created_by=member, full_name="Trần Thị Xin Xóa")
    other = make_case(club=club, created_by=member, full_name="Lê Văn Ở Lại")
    page = open_app(phone.new_page(), live_server, member)
    record_visit_offline(page, phone, case, "Ghi chú về người xin xóa")
    record_visit(page, other.uuid, "Lượt của người ở lại")
    [gone_visit] = [e for e in page.evaluate("async () => (await self.sotd.snapshot()).entries")
                    if e["data"]["case_uuid"] == case.uuid]
    # A second visit to the person, half filled in and left (core.draft).
    page.evaluate(f"location.hash = '#/new/visit?case={case.uuid}'")
    page.fill("#f-notes", "Điền dở về người xin xóa")
    page.evaluate("location.hash = '#/today'")  # left at once: what was typed is kept
    page.wait_for_selector("[data-testid=draft]")
    assert [d["data"]["notes"] for d in page.evaluate(DRAFTS)] == ["Điền dở về người xin xóa"]
    cases.erase(case, chair)  # at the person's request, while the phone is offline

    def answer_gone(route):  # the sync contract's answer (DESIGN.md §4) for the erased case
        body = json.loads(route.request.post_data)
        results = []
        for entry in body["entries"]:
            if entry["data"].get("case_uuid") == case.uuid:
                results.append({"uuid": entry["uuid"], "status": "gone", "id": None,
                                "revision": None, "errors": {}, "case_uuid": case.uuid})
            else:
                results.append(sync_module.submit_entry(member, entry))
        route.fulfill(json={"results": results, "server_time": sync_module.server_time()})

    phone.route("**/api/v1/sync", answer_gone)  # before the network returns: the app syncs at once
    go_online(phone)
    sync_once(page)
    page.wait_for_selector("#banner :text('yêu cầu xóa thông tin')")
    page.wait_for_selector("#banner :text('không còn trong danh sách của bạn')")
    assert page.locator("[data-testid=draft]").count() == 0
    assert page.evaluate(DRAFTS) == []
    assert waiting(page) == 0
    dump = page.evaluate(STORAGE_DUMP_OPEN)
    assert "Trần Thị Xin Xóa" not in dump and "Ghi chú về người xin xóa" not in dump
    assert gone_visit["uuid"] not in dump and "Lê Văn Ở Lại" in dump
    page.evaluate("location.hash = '#/cases'")
    assert "Trần Thị Xin Xóa" not in page.locator("#view").inner_text()
    assert [v.notes for v in Visit.select()] == ["Lượt của người ở lại"]


def test_a_form_open_on_a_case_erased_meanwhile_closes_at_the_sync_and_keeps_nothing(
        live_server, phone):
    club = make_club()
    member = member_of(club)
    chair = make_user(club=club, role="chair")
    case = make_case(club=club, created_by=member, full_name="Trần Thị Xin Xóa")
    page = open_app(phone.new_page(), live_server, member)
    page.wait_for_function("() => !document.querySelector('[data-action=sync]')?.disabled")
    fill_visit(page, case.uuid, "Ghi chú về người xin xóa")
    cases.erase(case, chair)  # at the person's request, while the form is on the phone's screen
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # a sync
    page.wait_for_selector("#banner :text('không còn trong danh sách của bạn')")
    page.wait_for_url("**/app/#/today")  # the form closed: nothing more of the person is typed
    assert "Trần Thị Xin Xóa" not in page.inner_text("body")
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # and the next sync
    page.wait_for_function("() => !document.querySelector('[data-action=sync]')?.disabled")
    assert page.evaluate(DRAFTS) == []
    assert "Ghi chú về người xin xóa" not in page.evaluate(STORAGE_DUMP_OPEN)


def test_send_then_log_out_with_the_send_failing_says_so_and_stays_logged_in(live_server, phone):
    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member)
    page = open_app(phone.new_page(), live_server, member)
    page.wait_for_function("() => !document.querySelector('[data-action=sync]')?.disabled")
    phone.route("**/api/v1/sync", lambda route: route.fulfill(status=503, body="busy"))
    record_visit(page, case.uuid, "Chưa gửi được")
    page.evaluate("location.hash = '#/more'")
    page.click("button.button--danger")
    page.locator("dialog[open] button").first.click()  # send, then log out
    page.wait_for_selector("dialog[open]:has-text('Chưa gửi được 1 mục')")
    page.locator("dialog[open] button").first.click()  # understood
    assert "/app/" in page.url and page.evaluate(HELD) == {"keys": 1, "working": 2, "outbox": 1}
    # The server answers again: the same choice sends, then logs out.
    phone.unroute("**/api/v1/sync")
    page.click("button.button--danger")
    page.locator("dialog[open] button").first.click()
    page.wait_for_url("**/login**")
    assert [v.notes for v in Visit.select()] == ["Chưa gửi được"]
    assert page.evaluate(HELD) == {"keys": 0, "working": 0, "outbox": 0}


def busy_a_moment(monkeypatch, retry_after=2):
    """The book is busy for the next entry sent: other phones of the club take its row three
    times in a row, so it is answered `retry` (again in `retry_after` s); then all goes as ever.
    The list of the clashes."""
    from peewee import IntegrityError

    original, clashes = sync_module._submit, []

    def clash(user, uuid, *args):
        if len(clashes) < 3:
            clashes.append(uuid)
            raise IntegrityError("UNIQUE constraint failed")
        return original(user, uuid, *args)

    monkeypatch.setattr(sync_module, "_submit", clash)
    monkeypatch.setattr(sync_module, "RETRY_AFTER", retry_after)
    return clashes


def test_an_entry_the_busy_book_did_not_take_waits_and_goes_again_by_itself(
        live_server, phone, monkeypatch):
    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member)
    page = open_app(phone.new_page(), live_server, member)
    record_visit_offline(page, phone, case, "Gửi lúc sổ bận")
    clashes = busy_a_moment(monkeypatch)
    page.evaluate("location.hash = '#/outbox'")
    go_online(phone)
    page.wait_for_selector("[role=status]:text('Sổ của CLB đang bận nên một số mục chưa gửi được')")
    assert len(clashes) == 3 and Visit.select().count() == 0
    # Still waiting, not refused: nothing for the member to open or fix.
    assert [e["state"] for e in page.evaluate("async () => (await self.sotd.snapshot()).entries")] == [
        "waiting"]
    assert page.locator(".outbox__item[data-state=waiting]").count() == 1
    assert page.locator(".outbox__errors").count() == 0
    if os.environ.get("SOTD_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["SOTD_SCREENSHOTS"], "field-outbox-busy.png"),
                        full_page=True)
    wait_all_sent(page)  # by itself, with no tap
    assert [v.notes for v in Visit.select()] == ["Gửi lúc sổ bận"]
    assert EntryRevision.select().count() == 1


def test_the_servers_notice_on_an_accepted_entry_reaches_its_author(live_server, phone):
    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member, status="closed")
    notice = "Hồ sơ đã đóng: ngày theo dõi tiếp không tạo lịch hẹn mới."

    def with_notice(route):  # as the server tells the author of an accepted entry
        response = route.fetch()
        body = response.json()
        for result in body.get("results", []):
            if result["status"] == "created":
                result["notice"] = notice
        route.fulfill(response=response, json=body)

    page = open_app(phone.new_page(), live_server, member)
    phone.route("**/api/v1/sync", with_notice)
    record_visit(page, case.uuid, "Thăm sau khi đóng hồ sơ")
    page.wait_for_selector(f"#banner :text('{notice}')")
    assert Visit.select().count() == 1


def test_logging_out_offline_with_entries_waiting_warns_first(live_server, phone):
    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member)
    page = open_app(phone.new_page(), live_server, member)
    record_visit_offline(page, phone, case, "Chưa gửi được")
    page.evaluate("location.hash = '#/more'")
    page.click("button.button--danger")
    dialog = page.locator("dialog[open]")
    assert "mất sóng" in dialog.inner_text() and "1" in dialog.inner_text()
    dialog.locator("button").nth(1).click()  # cancel: nothing forgotten
    assert page.evaluate(HELD) == {"keys": 1, "working": 2, "outbox": 1}  # and its summary
    page.click("button.button--danger")
    page.locator("dialog[open] button").first.click()  # log out now
    page.wait_for_selector("text=1 mục chưa gửi vẫn nằm lại")
    assert page.evaluate(HELD) == {"keys": 0, "working": 0, "outbox": 1}


def test_logging_out_with_a_form_half_filled_in_asks_first(live_server, phone):
    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member)
    page = open_app(phone.new_page(), live_server, member)
    fill_visit(page, case.uuid, "Chưa điền xong")
    page.evaluate("location.hash = '#/more'")
    page.click("button.button--danger")
    dialog = page.locator("dialog[open]")
    assert "đang điền dở" in dialog.inner_text()
    dialog.locator("button").first.click()  # go on filling it in
    page.wait_for_selector("[data-testid=draft-restored]")
    assert page.input_value("#f-notes") == "Chưa điền xong"
    page.evaluate("location.hash = '#/more'")
    page.click("button.button--danger")
    page.locator("dialog[open] button").nth(1).click()  # throw it away, and log out
    page.wait_for_url("**/login**")
    assert page.evaluate(HELD) == {"keys": 0, "working": 0, "outbox": 0}


def test_a_phone_whose_clock_is_off_is_told(live_server, phone):
    member = member_of(make_club())
    ahead = {"minutes": 0}

    def shifted(route):
        response = route.fetch()
        body = response.json()
        if "server_time" not in body:  # a refusal (a stale token): as it came
            route.fulfill(response=response)
            return
        at = datetime.fromisoformat(body["server_time"].replace("Z", "+00:00"))
        body["server_time"] = (at + timedelta(minutes=ahead["minutes"])).isoformat()
        route.fulfill(response=response, json=body)

    phone.route("**/api/v1/sync", shifted)
    page = open_app(phone.new_page(), live_server, member)
    sync_once(page)
    assert page.locator("[data-testid=clock]").count() == 0
    ahead["minutes"] = 9  # within ten minutes: nothing to say
    sync_once(page)
    assert page.locator("[data-testid=clock]").count() == 0
    ahead["minutes"] = -42
    sync_once(page)
    assert "lệch 42 phút" in page.locator("[data-testid=clock]").inner_text()
    ahead["minutes"] = 0
    sync_once(page)
    assert page.locator("[data-testid=clock]").count() == 0


def test_discarding_a_refused_case_discards_what_waits_for_it_after_asking(live_server, phone):
    club = make_club()
    member = member_of(club)
    page = open_app(phone.new_page(), live_server, member)
    go_offline(phone)
    case_uuid = register_case(page, "Hồ Thị Bị Từ Chối")
    record_visit(page, case_uuid, "Thăm người chưa lên sổ")

    def refuse(route):  # the case refused (its code taken, say), its visit waiting for it
        body = json.loads(route.request.post_data)
        route.fulfill(json={"server_time": sync_module.server_time(), "results": [
            {"uuid": e["uuid"], "status": "invalid", "id": None, "revision": None,
             "errors": {"full_name": "Tên này không hợp lệ."} if e["type"] == "case"
             else {"case_uuid": "Máy chủ chưa có hồ sơ này."}} for e in body["entries"]]})

    phone.route("**/api/v1/sync", refuse)
    go_online(phone)
    sync_once(page)
    items = page.locator(".outbox__item[data-state=invalid]")
    assert items.count() == 2
    messages = []
    discard = page.locator(f".outbox__item[data-uuid='{case_uuid}'] button.button--danger")
    page.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.dismiss()))
    discard.click()
    page.wait_for_timeout(200)
    assert messages and "1 mục" in messages[0]  # it asks, naming what waits for the case
    assert items.count() == 2  # dismissed: both stay
    page.once("dialog", lambda dialog: dialog.accept())
    discard.click()
    page.wait_for_selector("[data-testid=waiting-count][data-waiting='0']")
    assert page.evaluate(HELD)["outbox"] == 0
    assert Case.select().count() == 0 and Visit.select().count() == 0


def test_consent_recorded_offline_on_the_case_screen_lets_the_referral_through(live_server, phone):
    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member, consent=("follow",), review_status="submitted")
    page = open_app(phone.new_page(), live_server, member)
    go_offline(phone)
    page.evaluate(f"location.hash = '#/new/referral?case={case.uuid}'")
    page.select_option("#f-service_kind", index=1)
    page.fill("#f-provider", "Trung tâm Trợ giúp pháp lý")
    page.click("form button[type=submit]")
    dialog = page.locator("dialog[open]")
    assert "chưa đồng ý" in dialog.inner_text()  # warned before it is saved
    dialog.locator("button").first.click()  # record the consent now
    page.wait_for_url(f"**/app/#/consent/{case.uuid}")
    refer = page.locator("[data-field=consent] fieldset[data-purpose=refer]")
    follow = page.locator("[data-field=consent] fieldset[data-purpose=follow]")
    assert follow.locator("input:checked").get_attribute("value") == "true"  # as the book has it
    refer.locator(".chip:has-text('Có')").click()
    page.click("form button[type=submit]")
    page.wait_for_url(f"**/app/#/case/{case.uuid}")
    assert "Chưa gửi" in page.locator("[data-testid=consent]").inner_text()
    assert waiting(page) == 2

    go_online(phone)
    wait_all_sent(page)
    [referral] = Referral.select().where(Referral.case == case)
    assert referral.provider == "Trung tâm Trợ giúp pháp lý"
    assert consent.consent_of(case)["refer"] is True
    revisions = (EntryRevision.select().where(EntryRevision.uuid == case.uuid)
                 .order_by(EntryRevision.revision))
    [edit] = list(revisions)
    assert (edit.revision, edit.data["consent"]["refer"], edit.data["full_name"]) == (
        2, True, case.full_name)  # the whole case, as its next revision


def test_a_second_consent_on_an_approved_case_builds_on_the_first_waiting_for_review(
        live_server, phone):
    from webapp.book import review

    club = make_club()
    member = member_of(club)
    chair = make_user(club=club, role="chair")
    case = make_case(club=club, created_by=member, consent=("follow",))  # approved

    def record(page, purpose):
        page.evaluate(f"location.hash = '#/consent/{case.uuid}'")
        fieldset = page.locator(f"[data-field=consent] fieldset[data-purpose={purpose}]")
        fieldset.locator(".chip:has-text('Có')").click()
        page.click("form button[type=submit]")
        page.wait_for_url(f"**/app/#/case/{case.uuid}")
        wait_all_sent(page)
        sync_once(page)  # the working set fetched again, with the case as the server holds it

    page = open_app(phone.new_page(), live_server, member)
    record(page, "refer")
    assert Case.get_by_id(case.id).amendment_status == "submitted"
    # The phone's copy is the member's amendment, marked as waiting for the chair's review.
    page.evaluate(f"location.hash = '#/case/{case.uuid}'")
    shown = page.locator("[data-testid=consent]")
    shown.locator(".badge").wait_for()
    assert "chờ phê duyệt" in shown.inner_text()
    page.evaluate(f"location.hash = '#/consent/{case.uuid}'")
    refer = page.locator("[data-field=consent] fieldset[data-purpose=refer]")
    assert refer.locator("input:checked").get_attribute("value") == "true"  # as the member left it
    record(page, "share")
    edit = EntryRevision.get((EntryRevision.uuid == case.uuid) & (EntryRevision.revision == 3))
    assert edit.data["consent"] == {"follow": True, "refer": True, "share": True}
    review.approve(Case.get_by_id(case.id), chair, seen=3)
    assert consent.consent_of(case) == {"follow": True, "refer": True, "share": True}


def test_registering_a_case_asks_each_purpose(live_server, phone):
    member = member_of(make_club())
    page = open_app(phone.new_page(), live_server, member)
    page.evaluate("location.hash = '#/new/case'")
    page.fill("#f-full_name", "Mai Thị Hỏi Rõ")
    page.locator("[data-field=sex] .chip").first.click()
    page.locator("[data-field=categories] input").first.check()
    page.locator("[data-field=risk_level] .chip").first.click()
    consent = page.locator("[data-field=consent]")
    consent.locator("fieldset[data-purpose=follow] .chip:has-text('Có')").click()
    consent.locator("fieldset[data-purpose=refer] .chip:has-text('Chưa hỏi')").click()
    page.click("form button[type=submit]")  # "share" not answered: not saved
    assert "field--error" in consent.get_attribute("class")
    assert waiting(page) == 0
    consent.locator("fieldset[data-purpose=share] .chip:has-text('Không')").click()
    page.click("form button[type=submit]")
    page.wait_for_url("**/app/#/case/*")
    wait_all_sent(page)
    [revision] = EntryRevision.select().where(EntryRevision.entry_type == "case")
    refer = page.evaluate("async () => (await self.sotd.snapshot()).schema.$defs.case"
                          ".properties.consent.properties.refer.type")
    not_asked = None if "null" in refer else False  # a server without "not asked yet": "no"
    assert revision.data["consent"] == {"follow": True, "refer": not_asked, "share": False}


def test_a_hand_in_only_session_sends_what_waits_then_logs_out_and_clears(live_server, phone):
    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member, full_name="Phan Thị Bàn Giao")
    page = open_app(phone.new_page(), live_server, member)
    record_visit_offline(page, phone, case, "Ghi trước khi nghỉ")

    def hand_in_only(route):  # the account deactivated meanwhile (DESIGN.md §4's bootstrap)
        response = route.fetch(url=route.request.url.split("?")[0])  # the whole set, user too
        body = response.json()
        body["user"]["hand_in_only"] = True
        for name in ("cases", "appointments", "activities", "returned", "members"):
            body[name] = []
        route.fulfill(response=response, json=body)

    phone.route("**/api/v1/bootstrap*", hand_in_only)
    go_online(phone)
    page.wait_for_selector("[data-testid=handed-in]")
    assert "không còn hoạt động" in page.locator("#view").inner_text()
    assert page.inner_text("#club-name") == "Sổ Theo Dõi"  # the phone holds nothing of the club
    assert [v.notes for v in Visit.select()] == ["Ghi trước khi nghỉ"]
    for _ in range(50):
        if page.evaluate(HELD) == {"keys": 0, "working": 0, "outbox": 0}:
            break
        page.wait_for_timeout(100)
    assert page.evaluate(HELD) == {"keys": 0, "working": 0, "outbox": 0}
    assert "Phan Thị Bàn Giao" not in page.evaluate(STORAGE_DUMP)
    assert LoginSession.select().where((LoginSession.user == member)
                                       & LoginSession.ended_at.is_null()).count() == 0


def test_a_conflict_shows_the_two_versions_and_the_mix_goes_on_the_servers_revision(
        live_server, phone):
    club = make_club()
    member = member_of(club)
    chair = make_user(club=club, role="chair")
    case = make_case(club=club, created_by=member)
    visit, first = make_returned_visit(case, member, chair)
    page = open_app(phone.new_page(), live_server, member)
    go_offline(phone)
    page.locator(".list__item:has-text('Ghi rõ hơn') a").click()
    page.fill("#f-notes", "Bản của thành viên")
    page.click("form button[type=submit]")
    page.wait_for_selector(".alert--success")
    # Meanwhile the chair corrects it at the desk: the same record's next revision.
    sync_module.desk_edit(chair, Visit.get_by_id(visit.id),
                          dict(first, kind="phone_call", notes="Bản của chủ nhiệm"))

    def with_server(route):  # DESIGN.md §4: a conflict carries the server's version
        response = route.fetch()
        body = response.json()
        for result in body.get("results", []):
            if result["status"] == "conflict" and "server" not in result:
                held = Visit.get(Visit.uuid == result["uuid"])
                current = EntryRevision.get((EntryRevision.uuid == held.uuid)
                                            & (EntryRevision.revision == held.revision))
                result["server"] = {"revision": current.revision, "data": current.data}
        route.fulfill(response=response, json=body)

    phone.route("**/api/v1/sync", with_server)
    go_online(phone)
    page.evaluate("location.hash = '#/outbox'")
    page.locator(".outbox__item[data-state=conflict] a[href^='#/compare/']").click()
    rows = page.locator("form fieldset[data-field]")
    rows.first.wait_for()  # the compare screen is drawn after the click's hashchange
    assert sorted(rows.evaluate_all("rows => rows.map((r) => r.dataset.field)")) == ["kind", "notes"]
    kind = page.locator("fieldset[data-field=kind]")
    label = page.evaluate(
        "async () => (await self.sotd.snapshot()).schema.$defs.visit.properties.kind.title")
    assert label in kind.inner_text() and "Gọi điện thoại" in kind.inner_text()  # labels, not codes
    assert "phone_call" not in kind.inner_text()
    kind.locator("input[value=theirs]").check()  # the chair's kind, the member's notes
    page.click("form button[type=submit]")
    page.wait_for_url("**/app/#/outbox")
    phone.unroute("**/api/v1/sync", with_server)
    wait_all_sent(page)

    revisions = {r.revision: r for r in EntryRevision.select().where(EntryRevision.uuid == visit.uuid)}
    assert sorted(revisions) == [1, 2, 3]
    assert revisions[3].data["kind"] == "phone_call"
    assert revisions[3].data["notes"] == "Bản của thành viên"
    assert Visit.select().where(Visit.uuid == visit.uuid).count() == 1


# --- End to end, against the server side of issue 13 (webapp/book/holders.py comes with it) ---

edges = pytest.mark.skipif(importlib.util.find_spec("webapp.book.holders") is None,
                           reason="needs the server side of issue 13 (edges) on main")


@edges
def test_end_to_end_an_erased_case_answers_gone_and_leaves_the_phone(live_server, phone):
    club = make_club()
    member = member_of(club)
    chair = make_user(club=club, role="chair")
    case = make_case(club=club, created_by=member, full_name="Đinh Thị Đã Xin Xóa")
    page = open_app(phone.new_page(), live_server, member)
    record_visit_offline(page, phone, case, "Chuyện riêng của người xin xóa")
    cases.erase(case, chair)
    go_online(phone)
    page.wait_for_selector("#banner :text('yêu cầu xóa thông tin')")
    wait_all_sent(page)
    dump = page.evaluate(STORAGE_DUMP_OPEN)
    assert "Đinh Thị Đã Xin Xóa" not in dump and "Chuyện riêng" not in dump
    assert Visit.select().where(Visit.case == case).count() == 0


@edges
def test_end_to_end_a_reassigned_case_leaves_the_phone_after_its_visit_went_out(
        live_server, phone):
    """And a form half filled in on it, and a form open on it, leave with it and say so."""
    club = make_club()
    member, other = member_of(club), member_of(club)
    chair = make_user(club=club, role="chair")
    case = make_case(club=club, created_by=chair, assigned_to=member, full_name="Cao Thị Chuyển")
    page = open_app(phone.new_page(), live_server, member)
    record_visit_offline(page, phone, case, "Ghi khi còn theo dõi")  # recorded: it goes
    page.evaluate(f"location.hash = '#/new/visit?case={case.uuid}'")
    page.fill("#f-notes", "Điền dở về người được chuyển")  # half filled in: a draft
    page.evaluate("location.hash = '#/today'")
    page.wait_for_selector("[data-testid=draft]")
    fill_visit(page, case.uuid, "Đang điền khi có mạng")  # and a form open on the case
    cases.assign(case, other, chair)  # the monthly meeting gives the case to another member
    go_online(phone)
    page.wait_for_url("**/app/#/today")  # the form closed: nothing more of the person is typed
    page.wait_for_selector("#banner :text('không còn trong danh sách của bạn')")
    wait_all_sent(page)
    [visit] = Visit.select().where(Visit.case == case)
    assert visit.created_by_id == member.id and visit.notes == "Ghi khi còn theo dõi"
    assert page.locator("[data-testid=draft]").count() == 0
    assert page.evaluate(DRAFTS) == []
    page.evaluate("location.hash = '#/cases'")
    page.wait_for_selector("#case-list")
    assert "Cao Thị Chuyển" not in page.locator("#view").inner_text()
    dump = page.evaluate(STORAGE_DUMP_OPEN)
    assert "Cao Thị Chuyển" not in dump and "Điền dở" not in dump and "Đang điền" not in dump


def test_end_to_end_a_board_member_who_steps_down_keeps_nothing_trapped(live_server, phone):
    from webapp.book import holders

    club = make_club()
    leaving = make_user(club=club, role="chair", full_name="Chủ nhiệm cũ",
                        device_key=os.urandom(32), board_since=utcnow() - timedelta(days=1))
    staying = make_user(club=club, role="chair")
    case = make_case(club=club, created_by=staying, assigned_to=None, full_name="Cao Thị Chung")
    page = phone.new_page()
    no_background_sync(page, live_server)
    log_in(page, live_server.url, leaving.login, PASSWORD)  # a chair: the desk first
    page.goto(f"{live_server.url}/app/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.wait_for_selector("[data-testid=waiting-count]")
    record_visit_offline(page, phone, case, "Ghi khi còn ở ban chủ nhiệm")
    holders.leave_board(User.get_by_id(leaving.id), by=staying)  # before the phone syncs
    go_online(phone)
    wait_all_sent(page)
    [visit] = Visit.select().where(Visit.case == case)
    assert (visit.created_by_id, visit.notes, visit.review_status) == (
        leaving.id, "Ghi khi còn ở ban chủ nhiệm", "submitted")  # now for the board to review
    page.evaluate("location.hash = '#/cases'")
    page.wait_for_selector("#case-list")
    assert "Cao Thị Chung" not in page.locator("#view").inner_text()
    assert "Cao Thị Chung" not in page.evaluate(STORAGE_DUMP_OPEN)


@edges
@pytest.mark.parametrize("busy", [False, True], ids=["", "the-book-busy-a-moment"])
def test_end_to_end_a_deactivated_member_hands_in_what_waits(live_server, phone, monkeypatch, busy):
    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member)
    from webapp.book import holders
    holders.hand_over(case, member, at=utcnow() - timedelta(days=1))  # hers since yesterday
    page = open_app(phone.new_page(), live_server, member)
    record_visit_offline(page, phone, case, "Ghi trước khi thôi tham gia")
    # A second visit half filled in and left (core.drafts): it can be finished no more.
    page.evaluate(f"location.hash = '#/new/visit?case={case.uuid}'")
    page.fill("#f-notes", "Điền dở trước khi thôi")
    page.evaluate("location.hash = '#/today'")
    page.wait_for_selector("[data-testid=draft]")
    User.update(is_active=False).where(User.id == member.id).execute()
    LoginSession.update(ended_at=utcnow()).where(LoginSession.user == member).execute()
    go_online(phone)
    page.wait_for_selector("#view a[href^='/login']")  # the session ended: log in again
    page.click("#view a[href^='/login']")
    clashes = busy_a_moment(monkeypatch, retry_after=1) if busy else []
    submit_login(page, member.login, PASSWORD)
    if busy:  # the hand-in waits for the book, and logs out only once all went
        page.wait_for_selector("[data-testid=hand-in]")
        assert len(clashes) == 3 and Visit.select().count() == 0
    page.wait_for_selector("[data-testid=handed-in]")
    assert [v.notes for v in Visit.select()] == ["Ghi trước khi thôi tham gia"]
    assert "không gửi được" not in page.inner_text("[data-testid=handed-in]")
    # Told that the form half filled in went with the rest, and whom to tell.
    assert "1 mục đang điền dở, chưa lưu, cũng đã được bỏ" in page.inner_text("[data-testid=handed-in]")
    if os.environ.get("SOTD_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["SOTD_SCREENSHOTS"], "field-handed-in-draft.png"),
                        full_page=True)
    for _ in range(50):
        if page.evaluate(HELD) == {"keys": 0, "working": 0, "outbox": 0}:
            break
        page.wait_for_timeout(100)
    assert page.evaluate(HELD) == {"keys": 0, "working": 0, "outbox": 0}
    assert "Điền dở" not in page.evaluate(STORAGE_DUMP)
    assert LoginSession.select().where((LoginSession.user == member)
                                       & LoginSession.ended_at.is_null()).count() == 0


@edges
def test_end_to_end_a_visit_waiting_when_the_club_is_deactivated_arrives_once_it_is_back(
        live_server, phone):
    from webapp import accounts
    from webapp.book import holders
    from webapp.models import Club

    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member, full_name="Lý Thị Hạnh")
    holders.hand_over(case, member, at=utcnow() - timedelta(days=1))
    page = open_app(phone.new_page(), live_server, member)
    record_visit_offline(page, phone, case, "Ghi trước khi CLB ngừng hoạt động")
    accounts.set_club_active(club, False, by=None)
    go_online(phone)
    page.wait_for_selector("#view a[href^='/login']")  # the session ended: log in again
    # The server said so: nothing of the book stays readable on the phone meanwhile.
    assert "Lý Thị Hạnh" not in page.inner_text("body")
    assert page.evaluate(HELD) == {"keys": 0, "working": 0, "outbox": 1}
    page.click("#view a[href^='/login']")
    submit_login(page, member.login, PASSWORD)
    # Told why, and that what waits stays: it does, sealed, with nothing else of the book.
    page.wait_for_selector("text=Câu lạc bộ của bạn đã ngừng hoạt động")
    assert Visit.select().count() == 0
    assert page.evaluate(HELD) == {"keys": 0, "working": 0, "outbox": 1}
    assert "Lý Thị Hạnh" not in page.evaluate(STORAGE_DUMP)
    # Reactivated: the next login hands the key back, and the visit goes in once.
    accounts.set_club_active(Club.get_by_id(club.id), True, by=None)
    submit_login(page, member.login, PASSWORD)
    page.wait_for_url(f"{live_server.url}/app/**")
    wait_all_sent(page)
    assert [(v.notes, v.created_by_id) for v in Visit.select()] == [
        ("Ghi trước khi CLB ngừng hoạt động", member.id)]


@edges
def test_a_session_ended_by_a_new_password_leaves_nothing_readable_on_the_phone(
        live_server, phone):
    """The member's password was set anew with a setup code (on another phone, or by someone who
    got the code): at its next sync the phone hears that nobody is logged in on it, and the book
    leaves it at once, a form open on a case included; what waits, and the form half filled in,
    stay sealed until the member logs in again."""
    from webapp import accounts

    club = make_club()
    chair = make_user(club=club, role="chair")
    member = member_of(club)
    case = make_case(club=club, created_by=member, full_name="Lâm Thị Kín")
    page = open_app(phone.new_page(), live_server, member)
    record_visit_offline(page, phone, case, "Ghi trước khi đổi mật khẩu")
    fill_visit(page, case.uuid, "Đang điền khi hết phiên")
    for _ in range(50):  # kept as a draft 300 ms after typing
        if page.evaluate(DRAFTS):
            break
        page.wait_for_timeout(100)
    code = accounts.issue_setup_code(User.get_by_id(member.id), by=chair, purpose="reset")
    accounts.use_setup_code(member.login, code.code, "mat-khau-moi-2026", "203.0.113.9")
    go_online(phone)
    page.wait_for_selector("#view a[href^='/login']")
    assert "Lâm Thị Kín" not in page.inner_text("body")
    assert page.locator("form #f-notes").count() == 0  # the form is gone from the screen
    assert waiting(page) == 1  # what waits is still counted, and said to stay
    assert page.evaluate(HELD) == {"keys": 0, "working": 1, "outbox": 1}  # the draft, sealed
    assert "Lâm Thị Kín" not in page.evaluate(STORAGE_DUMP)
    page.click("#view a[href^='/login']")
    submit_login(page, member.login, "mat-khau-moi-2026")
    page.wait_for_url(f"{live_server.url}/app/**")
    wait_all_sent(page)
    assert [(v.notes, v.created_by_id) for v in Visit.select()] == [
        ("Ghi trước khi đổi mật khẩu", member.id)]
    page.wait_for_selector("[data-testid=draft] a")  # the key is back: so is the form


def test_the_boards_outcome_of_a_kept_copy_reaches_the_phone(live_server, phone):
    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member)
    page = open_app(phone.new_page(), live_server, member)
    outcomes = []

    def kept(route):  # the server keeps the copy as a conflict (no version it may show)
        body = json.loads(route.request.post_data)
        route.fulfill(json={"server_time": sync_module.server_time(), "results": [
            {"uuid": e["uuid"], "status": "conflict", "id": None, "revision": 2,
             "errors": {"revision": "Trong lúc đó đã có người sửa hồ sơ này."}}
            for e in body["entries"]]})

    def with_outcomes(route):  # bootstrap's conflict_outcomes: how the board ended the copies
        response = route.fetch()
        body = response.json()
        body["conflict_outcomes"] = outcomes
        route.fulfill(response=response, json=body)

    phone.route("**/api/v1/sync", kept)
    phone.route("**/api/v1/bootstrap*", with_outcomes)
    record_visit(page, case.uuid, "Bản bị giữ lại")
    page.evaluate("location.hash = '#/outbox'")
    item = page.locator(".outbox__item[data-state=conflict]")
    item.wait_for()
    [entry] = page.evaluate("async () => (await self.sotd.snapshot()).entries")
    outcomes.append({"uuid": entry["uuid"], "type": "visit", "revision": 1, "outcome": "merged",
                     "reason": "", "resolved_revision": 3})
    sync_once(page)
    assert "lần sửa 3" in item.locator("[data-testid=outcome]").inner_text()
    item.locator("button").click()  # understood: the copy leaves the phone
    page.wait_for_selector("[data-testid=waiting-count][data-waiting='0']")
    assert Visit.select().count() == 0  # the board's decision, not the phone's, wrote the book
