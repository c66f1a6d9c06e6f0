"""Languages: every UI string has a Vietnamese translation, Vietnamese is the default, the choice of
English is remembered, and dates read dd/mm/yyyy in Hạ Long's time zone."""
import functools
from datetime import date, datetime
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po
from flask_babel import force_locale

from webapp.i18n import LANG_COOKIE, format_date, format_date_time
from webapp.models import User

from .factories import login_as, make_user

WEBAPP = Path(__file__).resolve().parent.parent / "webapp"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]


@functools.lru_cache(maxsize=1)
def extracted_messages():
    """{msgid: [where it is used]} of every translatable string in the code and templates."""
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(WEBAPP), METHODS, keywords=KEYWORDS):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, []).append(f"webapp/{filename}:{lineno}")
    return found


def vietnamese_translations():
    """{msgid: msgstr} over every catalogue in translations/vi (one per feature)."""
    translated = {}
    for po in sorted((WEBAPP / "translations" / "vi" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as source:
            catalog = read_po(source, locale="vi")
        for message in catalog:
            if not message.id or message.fuzzy:
                continue
            msgid = message.id[0] if isinstance(message.id, tuple) else message.id
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if all(s and s.strip() for s in strings):
                translated[msgid] = strings[0]
    return translated


def test_extraction_finds_the_strings():
    # Guards the test below against extracting nothing (a wrong path or keyword).
    messages = extracted_messages()
    assert "Log in" in messages
    assert "Login name or phone number" in messages  # lazy_gettext in a form
    assert "Field cannot be longer than %(max)d character." in messages  # lazy_ngettext


def test_every_ui_string_has_a_vietnamese_translation():
    translated = vietnamese_translations()
    missing = {msgid: where for msgid, where in extracted_messages().items()
               if msgid not in translated}
    assert not missing, "No Vietnamese msgstr in translations/vi/LC_MESSAGES/*.po for:\n" + "\n".join(
        f"  {msgid!r}  ({', '.join(where[:3])})" for msgid, where in sorted(missing.items()))


def test_vietnamese_is_the_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="vi">' in page
    assert "Tên đăng nhập hoặc số điện thoại" in page
    assert "Mật khẩu" in page


def test_anonymous_choice_of_english_is_remembered_in_a_cookie(client):
    response = client.post("/language", data={"lang": "en", "next": "/login"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")
    cookie = client.get_cookie(LANG_COOKIE)
    assert cookie is not None and cookie.value == "en"
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Login name or phone number" in page


def test_an_unknown_language_falls_back_to_vietnamese(client):
    client.post("/language", data={"lang": "fr"})
    assert client.get_cookie(LANG_COOKIE).value == "vi"
    assert '<html lang="vi">' in client.get("/login").get_data(as_text=True)


def test_logged_in_choice_is_saved_on_the_account(app):
    user = make_user(role="chair")
    first = app.test_client()
    login_as(first, user)
    first.post("/language", data={"lang": "en"})
    assert User.get_by_id(user.id).locale == "en"
    # Another browser, without the cookie, gets English once the user logs in.
    second = app.test_client()
    assert "Đăng nhập" in second.get("/login").get_data(as_text=True)
    login_as(second, user)
    assert second.get_cookie(LANG_COOKIE) is None
    page = second.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Log out" in second.get("/account").get_data(as_text=True)


def test_the_account_choice_wins_over_the_cookie(app):
    user = make_user(role="member", locale="vi")
    client = app.test_client()
    client.set_cookie(LANG_COOKIE, "en")
    login_as(client, user)
    assert '<html lang="vi">' in client.get("/account").get_data(as_text=True)


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_dates_read_day_month_year_in_every_language(app, locale):
    with app.test_request_context(), force_locale(locale):
        assert format_date(date(2026, 3, 7)) == "07/03/2026"
        assert format_date("2026-12-31") == "31/12/2026"
        assert format_date(None) == ""


@pytest.mark.parametrize("utc, shown", [
    (datetime(2026, 3, 7, 1, 30), "07/03/2026 08:30"),
    # 20:00 UTC is already the next day in Hạ Long (UTC+7).
    (datetime(2026, 12, 31, 20, 0), "01/01/2027 03:00"),
])
def test_datetimes_are_shown_in_ho_chi_minh_time(app, utc, shown):
    with app.test_request_context():
        assert format_date_time(utc) == shown
        assert format_date(utc) == shown[:10]


def test_date_filters_are_used_by_templates(app):
    with app.test_request_context():
        rendered = app.jinja_env.from_string("{{ d|date }} {{ t|datetime }}").render(
            d=date(2026, 1, 2), t=datetime(2026, 1, 2, 17, 5))
    assert rendered == "02/01/2026 03/01/2026 00:05"
