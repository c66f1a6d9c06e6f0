"""A shared phone: a browser's reminders are those of the person logged in on it, and only while
their session there lasts (push.py, the one rule). A session can end without a logout on the
phone: it grows too old, is found idle when the app opens, or is ended elsewhere (a new
password, a deactivation);
then the phone gets nothing until its member logs in on it again, when their reminders resume by
themselves. Another member logging in on it ends the first one's subscription there."""
from datetime import date, timedelta

from webapp import accounts, push
from webapp.book import reminders, scheduling
from webapp.db import utcnow
from webapp.models import LoginSession, PushSubscription, User

from .factories import make_case, make_user, make_visit
from .push_endpoint import push_endpoint  # noqa: F401 (fixture)

DUE = date(2026, 12, 10)
EVENING = reminders.parse_now("2026-12-09T19:00")
LATER = reminders.parse_now("2026-12-09T21:00")


def log_in(user):
    """A login: a new session, its token (the login view then calls push.logged_in with the
    browser's push cookie)."""
    return accounts.start_session(user)


def member_on_phone(push_endpoint, **fields):
    """A member logged in on a phone, notifications turned on there, a visit due on DUE."""
    member = make_user(**fields)
    case = make_case(created_by=member, full_name="Nguyễn Thị Lan", address="Tổ 5, Khu 3")
    scheduling.create_follow_up(make_visit(case, follow_up_date=DUE))
    token = log_in(member)
    browser = push_endpoint.subscription()
    subscription = push.subscribe(member, browser.to_json(), "Android Chrome/130",
                                  allow_local_http=True)
    return member, token, browser, subscription


def test_a_session_that_ended_on_the_phone_gets_no_reminders(app, push_endpoint):
    """a) The session expired, nobody logs in: the phone shows the login form, nobody is logged in
    there, and no reminder of the member comes to it."""
    member, token, browser, _ = member_on_phone(push_endpoint)
    # Too old, though in use.
    LoginSession.update(created_at=utcnow() - timedelta(days=31)).execute()
    assert reminders.send_due(EVENING)["sent"] == 0
    # Ended on the server (an expiry noticed by load_session, a logout elsewhere of that session).
    LoginSession.update(created_at=utcnow()).execute()
    accounts.end_session(token)
    assert reminders.send_due(EVENING)["sent"] == 0
    assert push_endpoint.messages == []


def test_a_week_unused_does_not_silence_the_phone_until_the_app_is_opened(app, push_endpoint):
    """A member who has not opened the app for a week (SESSION_IDLE_DAYS) is still the one logged
    in on the phone, as far as anyone knows: the reminder that a visit is due (no name in it) is
    what brings them back. Opening the app then ends the idle session; reminders stop until they
    log in again, which resumes them."""
    member, token, browser, subscription = member_on_phone(push_endpoint)
    LoginSession.update(last_seen_at=utcnow() - timedelta(days=8)).execute()
    assert reminders.send_due(EVENING)["sent"] == 1
    assert push.while_logged_in(PushSubscription.select()).count() == 1
    assert accounts.load_session(token) is None  # the app opened: the login form
    assert push.while_logged_in(PushSubscription.select()).count() == 0


def test_the_member_logging_in_again_on_the_phone_gets_their_reminders_again(app, push_endpoint):
    """After an expiry the member logs in again on that phone: nothing to turn on again."""
    member, token, browser, subscription = member_on_phone(push_endpoint)
    cookie = push.browser_cookie(subscription)
    accounts.end_session(token)
    assert reminders.send_due(EVENING)["sent"] == 0
    log_in(member)
    assert push.logged_in(member, cookie) == push.RESUMED
    assert reminders.send_due(LATER)["sent"] == 1
    [message] = push_endpoint.messages_for(browser)
    assert message.payload["title"] == "Thăm lại ngày mai"
    # A login elsewhere (no cookie of this phone) resumes nothing on the phone.
    assert push.logged_in(member, None) is None


def test_another_member_logging_in_on_the_phone_ends_the_first_ones_subscription(
        app, push_endpoint):
    """b) B logs in on the phone A's session ended on without a logout: A's subscription of that
    browser goes, so none of A's reminders comes to the phone B holds, even if A's session were
    still alive on the server; B's come once B turns notifications on there."""
    first, token, browser, subscription = member_on_phone(push_endpoint)
    cookie = push.browser_cookie(subscription)
    second = make_user(club=first.club)
    case = make_case(created_by=second, full_name="Trần Văn Bình")
    scheduling.create_follow_up(make_visit(case, follow_up_date=DUE))
    log_in(second)
    assert push.logged_in(second, cookie) == push.DROPPED
    assert PushSubscription.select().count() == 0
    assert reminders.send_due(EVENING)["sent"] == 0
    # B turns notifications on, with the browser's same subscription: B's, bound to B's session.
    mine = push.subscribe(second, browser.to_json(), "Android Chrome/130", allow_local_http=True)
    assert (mine.user_id, mine.login_session.user_id) == (second.id, second.id)
    assert reminders.send_due(LATER)["sent"] == 1
    [message] = push_endpoint.messages_for(browser)
    assert message.payload["url"] == f"/app/#/case/{case.uuid}"
    # A logging in again on the phone later does not take it back: B turned it on.
    log_in(first)
    assert push.logged_in(first, push.browser_cookie(mine)) == push.DROPPED
    assert PushSubscription.select().count() == 0


def test_a_subscription_made_without_a_live_session_reaches_nobody(app, push_endpoint):
    """The rule holds for every row: one that no session registered is sent nothing."""
    member = make_user()
    case = make_case(created_by=member)
    scheduling.create_follow_up(make_visit(case, follow_up_date=DUE))
    push.subscribe(member, push_endpoint.subscription().to_json(), allow_local_http=True)
    assert reminders.send_due(EVENING)["sent"] == 0


def test_a_new_password_set_elsewhere_silences_the_phone(app, push_endpoint):
    """c) A changes the password on the desk: the phone's session ends, and its reminders stop;
    they resume when A logs in again on the phone."""
    member, phone_token, browser, subscription = member_on_phone(push_endpoint)
    desk_token = log_in(member)
    accounts.end_sessions(member, keep_token=desk_token)  # what the password change does
    assert reminders.send_due(EVENING)["sent"] == 0
    log_in(member)
    push.logged_in(member, push.browser_cookie(subscription))
    assert reminders.send_due(LATER)["sent"] == 1


def test_a_setup_code_or_a_deactivation_silences_the_phone_until_a_new_login(app, push_endpoint):
    """c) A chair issues a new setup code (the account's sessions end), or deactivates and later
    reactivates the member: the phone nobody is logged in on any more gets nothing."""
    member, token, browser, subscription = member_on_phone(push_endpoint)
    accounts.set_active(member, False, by=None)
    accounts.set_active(User.get_by_id(member.id), True, by=None)
    assert reminders.send_due(EVENING)["sent"] == 0
    member = User.get_by_id(member.id)
    log_in(member)
    assert push.logged_in(member, push.browser_cookie(subscription)) == push.RESUMED
    assert reminders.send_due(LATER)["sent"] == 1


def test_a_logout_on_another_device_leaves_the_phone_logged_in_and_reminded(app, push_endpoint):
    """c) A logs out on the desk: the phone's own session lasts, and so do its reminders."""
    member, phone_token, browser, _ = member_on_phone(push_endpoint)
    accounts.end_session(log_in(member))
    assert reminders.send_due(EVENING)["sent"] == 1
    assert len(push_endpoint.messages_for(browser)) == 1


def test_a_forged_or_foreign_cookie_names_no_subscription(app, push_endpoint):
    member, token, browser, subscription = member_on_phone(push_endpoint)
    assert push.of_browser("x" + push.browser_cookie(subscription)) is None
    assert push.of_browser("") is None and push.of_browser(None) is None
    assert push.of_browser(push.browser_cookie(subscription)).id == subscription.id
