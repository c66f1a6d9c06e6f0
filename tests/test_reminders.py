import json
import threading
from datetime import date, datetime, timedelta, timezone

import pytest

from webapp import accounts, push
from webapp.book import reminders, scheduling
from webapp.db import database, utcnow
from webapp.models import Appointment, Club, PushDelivery, PushSubscription, Review

from .factories import make_case, make_user, make_visit
from .push_endpoint import push_endpoint  # noqa: F401 (fixture)

DUE = date(2026, 12, 10)


def local(text):
    """A moment in Hạ Long time, e.g. local("2026-12-09T19:00")."""
    return reminders.parse_now(text)


def subscribe(user, browser):
    """`user` turns notifications on in a browser they are logged in on (a session of theirs:
    only while it lasts is anything sent there)."""
    if user.session_token is None:
        accounts.start_session(user)
    return push.subscribe(user, browser.to_json(), "Android Chrome/130", allow_local_http=True)


def member_with_visit(push_endpoint, due=DUE, **user_fields):
    """A subscribed member who recorded a visit with a follow-up date (as the sync API does)."""
    member = make_user(**user_fields)
    case = make_case(created_by=member, full_name="Nguyễn Thị Lan", address="Tổ 5, Khu 3",
                     phone="0912345678")
    visit = make_visit(case, follow_up_date=due)
    scheduling.create_follow_up(visit)
    browser = push_endpoint.subscription()
    subscribe(member, browser)
    return member, case, browser


def assert_no_personal_data(push_endpoint, *people):
    for message in push_endpoint.messages:
        text = json.dumps(message.payload, ensure_ascii=False)
        shown = message.payload.get("title", "") + " " + message.payload.get("body", "")
        for person in people:
            for value in (getattr(person, "full_name", ""), getattr(person, "address", ""),
                          getattr(person, "phone", "")):
                if value:
                    assert value not in text
            # Lock screens show no case code either (issue 15, finding 8).
            code = getattr(person, "code", None)
            if code:
                assert code not in shown and code.split("-")[0] + "-" not in shown


def test_the_evening_before_sends_exactly_one_message(app, push_endpoint):
    member, case, browser = member_with_visit(push_endpoint)
    assert reminders.send_due(local("2026-12-09T18:59"))["sent"] == 0
    assert push_endpoint.messages == []
    counts = reminders.send_due(local("2026-12-09T19:00"))
    assert counts["sent"] == 1
    assert push_endpoint.problems == []
    [message] = push_endpoint.messages_for(browser)
    assert message.payload["title"] == "Thăm lại ngày mai"
    assert message.payload["body"] == "Ngày mai có một lượt thăm. Mở ứng dụng để xem chi tiết."
    assert message.payload["url"] == f"/app/#/case/{case.uuid}"
    assert int(message.headers["ttl"]) > 0 and message.headers["urgency"] == "normal"
    assert_no_personal_data(push_endpoint, case, member)
    # Later runs the same evening send nothing again.
    assert reminders.send_due(local("2026-12-09T19:05"))["sent"] == 0
    assert reminders.send_due(local("2026-12-09T23:59"))["sent"] == 0
    assert len(push_endpoint.messages) == 1


def test_the_morning_of_at_the_members_hour(app, push_endpoint):
    member, case, browser = member_with_visit(push_endpoint, reminder_hour=6)
    assert reminders.send_due(local("2026-12-10T05:59"))["sent"] == 0
    assert reminders.send_due(local("2026-12-10T06:00"))["sent"] == 1
    [message] = push_endpoint.messages
    assert message.payload["title"] == "Thăm lại hôm nay"
    assert message.payload["body"] == "Hôm nay có một lượt thăm. Mở ứng dụng để xem chi tiết."
    assert_no_personal_data(push_endpoint, case, member)
    assert message.headers["urgency"] == "high"
    assert reminders.send_due(local("2026-12-10T09:00"))["sent"] == 0


def test_catching_up_after_downtime_sends_what_is_still_due(app, push_endpoint):
    member_with_visit(push_endpoint)
    # The server was down at 19:00; at 22:30 the evening reminder still goes out, once.
    assert reminders.send_due(local("2026-12-09T22:30"))["sent"] == 1
    # A moved appointment is a new reminder.
    appointment = Appointment.get()
    appointment.due_date = DUE + timedelta(days=1)
    appointment.save()
    assert reminders.send_due(local("2026-12-10T19:00"))["sent"] == 1


def test_done_or_cancelled_appointments_are_not_reminded(app, push_endpoint):
    member_with_visit(push_endpoint)
    Appointment.update(status="cancelled").execute()
    assert reminders.send_due(local("2026-12-09T19:00"))["sent"] == 0


def test_daily_note_of_overdue_visits(app, push_endpoint):
    member, case, browser = member_with_visit(push_endpoint, due=date(2026, 12, 1))
    assert reminders.send_due(local("2026-12-05T06:59"))["sent"] == 0
    assert reminders.send_due(local("2026-12-05T07:00"))["sent"] == 1
    [message] = push_endpoint.messages
    assert message.payload["title"] == "Lượt thăm quá hạn: 1"
    assert message.payload["url"] == "/app/#/today"
    assert message.payload["body"] == "Có lượt thăm đã quá hạn. Mở ứng dụng để xem."
    assert_no_personal_data(push_endpoint, case, member)
    assert reminders.send_due(local("2026-12-05T20:00"))["sent"] == 0
    assert reminders.send_due(local("2026-12-06T07:00"))["sent"] == 1  # every day


def test_english_for_users_who_chose_it(app, push_endpoint):
    member_with_visit(push_endpoint, locale="en")
    reminders.send_due(local("2026-12-09T19:00"))
    assert push_endpoint.messages[0].payload["title"] == "Visit tomorrow"


def test_chair_gets_a_digest_of_entries_waiting_for_review(app, push_endpoint):
    chair = make_user(role="chair")
    member = make_user(club=chair.club)
    case = make_case(club=chair.club, created_by=member, full_name="Trần Văn Nam")
    make_visit(case, review_status="submitted")
    make_visit(case, review_status="submitted")
    make_visit(case, review_status="approved")
    browser = push_endpoint.subscription()
    subscribe(chair, browser)
    assert reminders.send_due(local("2026-12-05T07:00"))["sent"] == 1
    [message] = push_endpoint.messages_for(browser)
    assert message.payload["url"] == "/desk/review/"
    assert "2" in message.payload["body"]  # two visits wait (the case itself is approved)
    assert_no_personal_data(push_endpoint, case, member)
    assert reminders.send_due(local("2026-12-05T08:00"))["sent"] == 0


def test_members_get_no_review_digest(app, push_endpoint):
    member = make_user()
    make_visit(make_case(created_by=member), review_status="submitted")
    subscribe(member, push_endpoint.subscription())
    assert reminders.send_due(local("2026-12-05T07:00"))["sent"] == 0


def test_member_hears_of_an_entry_returned_or_approved_once(app, push_endpoint):
    chair = make_user(role="chair")
    member = make_user(club=chair.club)
    case = make_case(club=chair.club, created_by=member, full_name="Phạm Thị Mai")
    returned, approved = make_visit(case), make_visit(case)
    browser = push_endpoint.subscription()
    subscribe(member, browser)
    now = utcnow() + timedelta(minutes=1)
    for visit, decision in ((returned, "returned"), (approved, "approved")):
        Review.create(club=chair.club, entry_type="visit", entry_uuid=visit.uuid, revision=1,
                      decision=decision, reason="Thiếu ghi chú về Phạm Thị Mai", decided_by=chair,
                      decided_at=now)
    counts = reminders.send_due(now.replace(tzinfo=timezone.utc))
    assert counts["sent"] == 2
    shown = sorted((m.payload["title"], m.payload["url"]) for m in push_endpoint.messages)
    assert shown == [("Mục nhập bị trả lại", "/app/#/today"),
                     ("Mục nhập đã được duyệt", f"/app/#/case/{case.uuid}")]
    assert sorted(m.payload["body"] for m in push_endpoint.messages) == [
        "Lượt tiếp cận: bị trả lại cho bạn. Mở ứng dụng để sửa.",
        "Lượt tiếp cận: đã được duyệt."]
    for message in push_endpoint.messages:
        assert "Thiếu ghi chú" not in message.payload["body"]  # the reason may name people
    assert_no_personal_data(push_endpoint, case, member)
    assert reminders.send_due(now.replace(tzinfo=timezone.utc) + timedelta(hours=1))["sent"] == 0


def test_decisions_made_before_the_device_subscribed_are_not_news(app, push_endpoint):
    chair = make_user(role="chair")
    member = make_user(club=chair.club)
    visit = make_visit(make_case(club=chair.club, created_by=member))
    Review.create(club=chair.club, entry_type="visit", entry_uuid=visit.uuid, revision=1,
                  decision="approved", decided_by=chair, decided_at=utcnow() - timedelta(hours=1))
    subscribe(member, push_endpoint.subscription())
    assert reminders.send_due(utcnow() + timedelta(minutes=1))["sent"] == 0


def test_one_bad_subscription_does_not_stop_the_others(app, push_endpoint):
    member, case, dead = member_with_visit(push_endpoint)
    PushSubscription.delete().execute()
    dead = push_endpoint.subscription(410)
    failing = push_endpoint.subscription(500)
    good = push_endpoint.subscription()
    for browser in (dead, failing, good):
        subscribe(member, browser)
    counts = reminders.send_due(local("2026-12-09T19:00"))
    assert (counts["gone"], counts["retry"], counts["sent"]) == (1, 1, 1)
    assert len(push_endpoint.messages_for(good)) == 1
    assert PushSubscription.select().count() == 2  # the dead one is removed
    # The failed one is retried by the next run; the good one does not get it twice.
    counts = reminders.send_due(local("2026-12-09T19:05"))
    assert counts["sent"] == 1
    assert len(push_endpoint.messages_for(failing)) == 1
    assert len(push_endpoint.messages_for(good)) == 1


def test_429_defers_the_reminder_to_a_later_run(app, push_endpoint):
    member, case, browser = member_with_visit(push_endpoint)
    browser.answers.append((429, {"Retry-After": "600"}))
    assert reminders.send_due(local("2026-12-09T19:00"))["retry"] == 1
    assert reminders.send_due(local("2026-12-09T19:01"))["backed_off"] == 1
    assert PushDelivery.select().count() == 0  # nothing is marked sent
    push.reset_backoff()  # the Retry-After time has passed
    assert reminders.send_due(local("2026-12-09T19:15"))["sent"] == 1


def test_413_is_not_retried(app, push_endpoint):
    member, case, browser = member_with_visit(push_endpoint)
    browser.answers.append((413, {}))
    assert reminders.send_due(local("2026-12-09T19:00"))["failed"] == 1
    assert reminders.send_due(local("2026-12-09T19:05"))["taken"] == 1
    assert push_endpoint.messages == []
    assert PushSubscription.select().count() == 1


def test_inactive_users_get_nothing(app, push_endpoint):
    member, case, browser = member_with_visit(push_endpoint)
    member.is_active = False
    member.save()
    assert reminders.send_due(local("2026-12-09T19:00"))["sent"] == 0


def test_the_members_of_a_deactivated_club_get_nothing(app, push_endpoint):
    member, case, browser = member_with_visit(push_endpoint)
    accounts.set_club_active(member.club, False, by=None)
    assert reminders.send_due(local("2026-12-09T19:00"))["sent"] == 0
    assert push_endpoint.messages == []
    # Reactivated, the club's reminders go out again to a phone its member logs in on again
    # (the deactivation ended their sessions: nobody was logged in there meanwhile).
    accounts.set_club_active(Club.get_by_id(member.club_id), True, by=None)
    assert reminders.send_due(local("2026-12-09T19:01"))["sent"] == 0
    accounts.start_session(member)
    assert push.logged_in(member, push.browser_cookie(PushSubscription.get())) == push.RESUMED
    assert reminders.send_due(local("2026-12-09T19:02"))["sent"] == 1


def test_two_senders_at_once_send_each_reminder_once(app, push_endpoint):
    browsers = [member_with_visit(push_endpoint)[2] for _ in range(12)]
    now = local("2026-12-09T19:00")
    start = threading.Barrier(2)
    results, errors = [], []

    def sender():
        try:
            with app.app_context():
                start.wait()
                results.append(reminders.send_due(now))
        except Exception as error:  # reported below: an assert in a thread would be lost
            errors.append(error)
        finally:
            database.close()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(r["sent"] for r in results) == 12
    assert sum(r["taken"] for r in results) == 12
    assert push_endpoint.problems == []
    for browser in browsers:
        assert len(push_endpoint.messages_for(browser)) == 1
    assert PushDelivery.select().count() == 12


def test_claims_are_unique(app):
    member = make_user()
    assert reminders.claim("appt:1:eve:2026-12-10/s1", member.id) is True
    assert reminders.claim("appt:1:eve:2026-12-10/s1", member.id) is False
    reminders.release("appt:1:eve:2026-12-10/s1")
    assert reminders.claim("appt:1:eve:2026-12-10/s1", member.id) is True


def test_send_command_with_now(runner, push_endpoint):
    member_with_visit(push_endpoint)
    result = runner.invoke(args=["reminders", "send", "--now", "2026-12-09T19:00"])
    assert result.exit_code == 0, result.output
    assert "sent=1" in result.output
    result = runner.invoke(args=["reminders", "send", "--now", "2026-12-09T12:00:00+00:00"])
    assert "sent=0" in result.output and "taken=1" in result.output
    result = runner.invoke(args=["reminders", "send", "--now", "yesterday"])
    assert result.exit_code != 0 and "ISO 8601" in result.output


@pytest.mark.parametrize("text, expected_utc", [
    ("2026-12-09T19:00", datetime(2026, 12, 9, 12, 0)),
    ("2026-12-09T19:00+07:00", datetime(2026, 12, 9, 12, 0)),
    ("2026-12-09T12:00Z", datetime(2026, 12, 9, 12, 0)),
])
def test_now_without_offset_is_local_time(text, expected_utc):
    moment = reminders.parse_now(text)
    assert moment.astimezone(timezone.utc).replace(tzinfo=None) == expected_utc


def test_no_background_sender_in_tests(app):
    assert app.testing and reminders._sender is None
    app.test_client().get("/login")
    assert reminders._sender is None


def test_deliveries_are_kept_while_their_reminder_can_be_due_then_pruned(app, push_endpoint):
    member, case, browser = member_with_visit(push_endpoint)
    assert reminders.send_due(local("2026-12-09T19:00"))["sent"] == 1
    [sent] = list(PushDelivery.select())
    PushDelivery.update(created_at=datetime(2026, 12, 9, 12, 0)).execute()  # sent "then"
    stale = PushDelivery.create(key="appt:0:eve:2026-10-01/s0", user=member,
                                created_at=datetime(2026, 10, 1, 12, 0))
    # The same evening the sent reminder's row stays (it is not sent again); the old one goes.
    assert reminders.send_due(local("2026-12-09T21:00"))["sent"] == 0
    assert {d.key for d in PushDelivery.select()} == {sent.key}
    assert PushDelivery.get_or_none(PushDelivery.id == stale.id) is None
    assert len(push_endpoint.messages) == 1
    # A month on, nothing of that evening can be due again, and its row is gone too.
    reminders.send_due(local("2027-01-15T08:00"))
    assert PushDelivery.get_or_none(PushDelivery.key == sent.key) is None
