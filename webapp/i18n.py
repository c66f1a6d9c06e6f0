"""Languages and local formats: Vietnamese first, English second, dates dd/mm/yyyy in Asia/Ho_Chi_Minh."""
from datetime import date, datetime
from pathlib import Path

from flask import current_app, has_request_context, request
from flask_babel import Babel, format_datetime, get_locale, to_user_timezone
from flask_login import current_user

babel = Babel()
TRANSLATIONS = Path(__file__).parent / "translations"
LANG_COOKIE = "sotd_lang"


def select_locale():
    """The user's saved choice, else the language cookie, else Vietnamese."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # the command line speaks the installation's language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def format_date(value):
    """dd/mm/yyyy, whatever the language."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = to_user_timezone(value)  # naive values are UTC
    return value.strftime("%d/%m/%Y")


def format_date_time(value):
    """dd/mm/yyyy HH:MM in the local time zone (values are stored in UTC)."""
    if value is None:
        return ""
    return format_datetime(value, "dd/MM/yyyy HH:mm")


def domains():
    """One message catalogue per feature, so features add strings without touching each other's."""
    names = sorted(p.stem for p in (TRANSLATIONS / "vi" / "LC_MESSAGES").glob("*.po"))
    return names or ["messages"]


def compile_catalogs():
    """Compile each .po whose .mo is missing or older: the catalogues are kept as text in git."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in TRANSLATIONS.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name, domain=po.stem)
        tmp = mo.with_suffix(".mo.tmp")
        with tmp.open("wb") as target:
            write_mo(target, catalog)
        tmp.replace(mo)


def init_app(app):
    compile_catalogs()
    names = domains()
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", ";".join([str(TRANSLATIONS)] * len(names)))
    app.config.setdefault("BABEL_DOMAIN", ";".join(names))
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["datetime"] = format_date_time
    app.jinja_env.globals["get_locale"] = get_locale
