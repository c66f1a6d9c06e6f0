"""The field app's shell: what the service worker precaches, its version, the manifest, the UI strings.

The shell is the same for every user (no personal data); the phone fills it from IndexedDB.
"""
import hashlib
from pathlib import Path
from typing import NamedTuple

import rcssmin
import rjsmin
from flask import current_app, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.security import safe_join

from . import security

WEBAPP = Path(__file__).parent
STATIC = WEBAPP / "static"

# Static files the shell needs offline (paths under /static/). Not the PNG icons: only the
# browser uses them, to install the app, and it keeps its own copy then. core.js is a file because
# the service worker imports it too, app.css because the login page and the desk load it first
# (the browser's copy then serves the shell and the precache).
STATIC_FILES = ["css/app.css", "js/core.js", "icons/icon.svg"]

# What the shell holds inline, so that the phone asks for no other file before Today is drawn
# (issue 17): the field app's own style sheet, and its modules (js/app.js and what it imports)
# bundled into one script by esbuild — scripts/build-js writes it, a test checks it is current.
INLINE_STYLES = ["css/field.css"]
BUNDLE = WEBAPP / "bundled" / "field-app.js"
THEME_COLOUR = "#0b5d5b"


def precache_urls():
    """The shell page, the offline page for desk pages, the manifest and the static files."""
    return ([url_for("shell.app"), url_for("shell.offline"), url_for("shell.manifest")]
            + [url_for("static", filename=name) for name in STATIC_FILES])


# The working set carries no secret (the CSRF token and the phone's key come from /api/v1/csrf).
COMPRESSED_PATHS = ("/static/", "/sw.js", "/manifest.webmanifest", "/app/", "/api/v1/schema",
                    "/api/v1/bootstrap")
TEXT_TYPES = ("text/", "application/javascript", "application/json", "application/manifest+json",
              "image/svg+xml")


def compressible(path, mimetype):
    """Whether an answer may be gzipped: the shell, static text and the schema — never a page or
    an answer holding a token or a key next to text an attacker could influence (BREACH)."""
    return path.startswith(COMPRESSED_PATHS) and (mimetype or "").startswith(TEXT_TYPES)


# Scripts and style sheets are sent minified (the phone pays for its own data): comments and
# spaces out, the code as written.
MINIFIERS = {".js": rjsmin.jsmin, ".css": rcssmin.cssmin}


def minify(name, text):
    """`text`, the content of the file `name`, minified if it is a script or a style sheet."""
    minifier = MINIFIERS.get(Path(name).suffix)
    return minifier(text) if minifier else text


def minified(filename):
    """The static file `filename` minified, or None if it is not a script or style sheet (or
    not there). Made once for each version of the file, kept for the process."""
    path = safe_join(str(STATIC), filename)
    if path is None or Path(path).suffix not in MINIFIERS or not Path(path).is_file():
        return None
    kept = current_app.extensions.setdefault("shell_minified", {})
    stamp = Path(path).stat().st_mtime_ns
    if filename not in kept or kept[filename][0] != stamp:
        text = minify(path, Path(path).read_text(encoding="utf-8"))
        kept[filename] = (stamp, text.encode("utf-8"))
    return kept[filename][1]


class SessionInterface(SecureCookieSessionInterface):
    """Flask's session cookie, but an answer that is the same for everyone (`same_for_everyone`:
    a static file, the worker, the manifest) does not say `Vary: Cookie` — Flask says it whenever
    the session was looked at, and Flask-Login looks at every request. The browser's copy of a
    file the page has just loaded then serves the service worker's precache too, although the
    session cookie changed in between (issue 17)."""

    def save_session(self, app, session, response):
        super().save_session(app, session, response)
        if getattr(response, "same_for_everyone", False) and not session.modified:
            response.vary.discard("Cookie")


def optional_worker_scripts():
    """Scripts other features add to the service worker (push handlers), when present."""
    return [url_for("static", filename=name) for name in ("js/sw-push.js",)
            if (STATIC / name).exists()]


def version():
    """A hash of everything the precache holds: any change makes a new worker, hence an update."""
    cached = current_app.extensions.get("shell_version")
    if cached and not current_app.debug:
        return cached
    digest = hashlib.sha256()
    files = [STATIC / name for name in STATIC_FILES + INLINE_STYLES + ["sw.js", "js/sw-push.js"]]
    files.append(BUNDLE)
    files += sorted((WEBAPP / "templates").glob("*.html"))
    files += sorted((WEBAPP / "templates" / "shell").glob("*.html"))
    files += sorted((WEBAPP / "translations").glob("*/LC_MESSAGES/*.po"))
    files.append(Path(__file__))
    for path in files:
        if path.exists():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    value = digest.hexdigest()[:12]
    current_app.extensions["shell_version"] = value
    return value


class Inline(NamedTuple):
    style: Markup  # the <style> element
    script: Markup  # the <script type="module"> element
    csp: str  # the shell's policy, which allows exactly these two


def inline():
    """The shell's inline style sheet and script, and the policy allowing them by their hash.
    Made once for each version of the shell."""
    kept = current_app.extensions.get("shell_inline")
    if kept and kept[0] == version():
        return kept[1]
    css = "".join(minify(name, (STATIC / name).read_text(encoding="utf-8"))
                  for name in INLINE_STYLES)
    js = BUNDLE.read_text(encoding="utf-8").strip()
    for text, end in ((css, "</style"), (js, "</script")):
        # Either would end the element early; esbuild and rcssmin never write them.
        if end in text.lower() or "<!--" in text:
            raise ValueError(f"the shell's inline text holds {end} or <!--")
    parts = Inline(Markup(f"<style>{css}</style>"), Markup(f'<script type="module">{js}</script>'),
                   security.csp_allowing(scripts=[js], styles=[css]))
    current_app.extensions["shell_inline"] = (version(), parts)
    return parts


def manifest():
    """The web app manifest: Vietnamese name, icons, standalone, starting at the shell."""
    icon = lambda name, size, purpose="any": {  # noqa: E731
        "src": url_for("static", filename=f"icons/{name}"), "sizes": f"{size}x{size}",
        "type": "image/png", "purpose": purpose}
    return {
        "id": url_for("shell.app"),
        "name": "Sổ Theo Dõi – CLB phòng, chống mua bán người",
        "short_name": "Sổ Theo Dõi",
        "description": "Sổ theo dõi, quản lý đối tượng đích của câu lạc bộ.",
        "lang": "vi",
        "dir": "ltr",
        "start_url": url_for("shell.app"),
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOUR,
        "background_color": "#f4f6f7",
        "icons": [icon("icon-192.png", 192), icon("icon-512.png", 512),
                  icon("icon-maskable-512.png", 512, "maskable")],
    }


def ui_strings():
    """Every string the field app's views show, in the current language (embedded in the shell)."""
    return {key: str(value) for key, value in _strings().items()}


# What the desk's account page needs to log out as the field app does (js/logout.js).
LOGOUT_STRINGS = ("logout_waiting", "logout_offline_waiting", "logout_sync_first", "logout_anyway",
                  "logout_not_sent", "understood", "logout_draft", "draft_go_on",
                  "logout_drop_draft", "cancel")


def logout_strings():
    strings = _strings()
    return {key: str(strings[key]) for key in LOGOUT_STRINGS}


def _strings():
    return {
        # Navigation and screens
        "today": _("Today"),
        "cases": _("My cases"),
        "record": _("Record"),
        "outbox": _("Outbox"),
        "more": _("More"),
        "hello": _("Hello, %(name)s"),
        "desk": _("Open the desk"),
        "account": _("Account and password"),
        "logout": _("Log out"),
        "loading": _("Opening the book…"),
        "offline": _("No signal: what you record waits on the phone and goes out later."),
        "need_login": _("Your session has ended. Log in again: your entries stay on the phone."),
        "login_again": _("Log in again"),
        "not_ready": _("Connect to the Internet once to load your cases onto this phone."),
        "update_ready": _("A new version of the app is ready."),
        "reload": _("Reload"),
        "install_hint": _("Add the book to your home screen to open it like an app."),
        "install": _("Install"),
        "later": _("Later"),
        # Today
        "overdue": _("Overdue visits"),
        "due": _("Visits due"),
        "no_due": _("No visit due. Well done."),
        "returned": _("Returned by the chair"),
        "returned_reason": _("Reason: %(reason)s"),
        "fix": _("Fix"),
        "returned_left": _("%(n)s entries returned to you are no longer yours to fix: the chair "
                           "has settled them, or they went to the member who now follows the "
                           "person."),
        "waiting": _("Waiting on the phone"),
        "waiting_count": _("%(n)s entries waiting to be sent"),
        "nothing_waiting": _("Nothing waiting: everything is sent."),
        "last_sync": _("Last sync: %(when)s"),
        "never_synced": _("Not synced yet"),
        "due_on": _("Due %(date)s"),
        "overdue_since": _("Overdue since %(date)s"),
        # Cases
        "search": _("Search by name or code"),
        "no_cases": _("No case found."),
        "new_case": _("Register a case"),
        "not_sent": _("Not sent yet"),
        "recent_visits": _("Recent visits"),
        "no_visits": _("No visit yet."),
        "referrals": _("Referrals"),
        "no_referrals": _("No referral yet."),
        "next_appointment": _("Next appointment"),
        "none": _("None"),
        "record_visit": _("Record a visit"),
        "record_referral": _("Record a referral"),
        "record_attendance": _("Record attendance"),
        "born": _("Born %(year)s"),
        "back": _("Back"),
        "case_not_found": _("This case is not on the phone."),
        "record_consent": _("Record consent"),
        "referral_no_consent": _("This person has not agreed to be referred to services yet: the "
                                 "server refuses the referral until their consent is recorded."),
        "save_anyway": _("Save without it"),
        "gone": _("A person asked to be erased: their record and its entries are removed from "
                  "this phone."),
        "clock_off": _("The phone's clock is %(n)s minutes off. Set the date and time in the "
                       "phone's settings."),
        "hand_in": _("This account is no longer active. What waits on this phone is being sent; "
                     "then the phone logs out and is cleared."),
        "handed_in": _("This account is no longer active. What waited on this phone has been "
                       "sent; you are logged out and the phone is cleared."),
        "hand_in_left": _("%(n)s entries could not be sent: ask your chair."),
        "hand_in_drafts": _("%(n)s entries half filled in and never saved were taken off the "
                            "phone with the rest. If they matter, tell your club's chair what "
                            "they held."),
        # Forms
        "save": _("Save on the phone"),
        "saved": _("Saved on the phone. It goes out with the next sync."),
        "sent": _("Sent: it has reached the club's book."),
        "cancel": _("Cancel"),
        "choose": _("Choose…"),
        "case": _("Case"),
        "activity": _("Activity"),
        "fix_errors": _("Check the fields marked in red."),
        "draft_restored": _("This is what you were filling in at %(time)s, kept on the phone. "
                            "Check it, then save."),
        "draft_gone": _("The person in the entry you were filling in is no longer on your list "
                        "(given to another member, closed or erased), so it was taken off the "
                        "phone. Tell your club's chair if it matters."),
        "drafts_wait": _("You have %(n)s entries half filled in, not saved yet."),
        "draft_waits": _("You have an entry half filled in, not saved yet."),
        "draft_go_on": _("Go on filling it in"),
        "draft_drop": _("Throw it away"),
        "draft_drop_confirm": _("Throw away what you were filling in? It has not been saved."),
        "not_saved": _("This was not saved on the phone. What you filled in is still here: tap "
                       "Save again. If it still does not save, write it down on paper and tell "
                       "your club's chair."),
        "not_saved_full": _("The phone's storage is full, so this was not saved. What you filled "
                            "in is still here: delete some photos, videos or apps you do not "
                            "use, then tap Save again."),
        "chosen": _("%(n)s chosen"),
        "no_activity": _("No activity on the phone yet. If the club is holding one (or just "
                         "held one), propose it: the chair reviews it, and it shows here."),
        "new_activity": _("Propose an activity"),
        "activity_intro": _("The chair reviews your proposal. Once approved, every member can "
                            "record who came."),
        "activity_waits": _("waiting for the chair"),
        "left_club": _("has left the club"),
        "member_left": _("A member who has left the club"),
        "call": _("Call"),
        "type_provider": _("None of these fits: type the provider in"),
        "no_provider_kind": _("The directory on the phone has no provider of this service: type "
                              "one in."),
        "no_case": _("No case on the phone yet. Register a case or sync first."),
        "err_required": _("This field is required."),
        "err_max_length": _("At most %(n)s characters."),
        "err_min_length": _("At least %(n)s characters."),
        "err_choice": _("Choose one of the options."),
        "err_date": _("Enter a date."),
        "err_future": _("The date cannot be in the future."),
        "err_number": _("Enter a number."),
        "err_range": _("Enter a number from %(min)s to %(max)s."),
        "err_min_items": _("Choose at least one."),
        "yes": _("Yes"),
        "no": _("No"),
        "not_asked": _("Not asked yet"),
        # Outbox
        "sync_now": _("Sync now"),
        "syncing": _("Sending %(done)s of %(total)s…"),
        "sync_done": _("Everything is sent."),
        "sync_failed": _("Could not reach the server. The app tries again by itself."),
        "sync_busy": _("The club's book was busy, so some entries did not go yet. The app sends "
                       "them again by itself in a moment."),
        "state_waiting": _("Waiting"),
        "state_invalid": _("Rejected"),
        "state_conflict": _("Conflict"),
        "state_sending": _("Sending"),
        "discard": _("Discard"),
        "discard_confirm": _("Discard this entry for good? It has not reached the server."),
        "discard_with": _("Discard this case and the %(n)s entries waiting for it? None of them "
                          "has reached the server."),
        "conflict_help": _("Your version is kept for your club's chair, who decides what goes "
                           "into the book: their answer shows here. Ask them if it cannot wait."),
        "conflict_compare": _("Someone changed this record meanwhile. Compare the two versions "
                              "and choose what to keep."),
        "conflict_merged": _("The chair merged the two versions: the book now holds revision "
                             "%(n)s."),
        "conflict_dismissed": _("The chair kept the version on the server. Reason: %(reason)s"),
        "understood": _("Understood"),
        "compare": _("Compare and choose"),
        "compare_intro": _("Only the fields that differ are shown. For each, keep yours or take "
                           "the one on the server."),
        "mine": _("Yours (on this phone):"),
        "theirs": _("On the server (revision %(n)s):"),
        "type_case": _("New case"),
        "type_visit": _("Visit"),
        "type_referral": _("Referral"),
        "type_attendance": _("Attendance"),
        "type_activity": _("Proposed activity"),
        "type_screening": _("Screening"),
        "survey": _("Ward survey"),
        "record_screening": _("Record a screening"),
        "no_round": _("No survey round is open. When the chair opens one, sync and it shows "
                      "here."),
        "my_areas": _("My areas:"),
        "my_screenings": _("My screenings"),
        "no_screenings": _("No screening yet in this round."),
        "registered": _("Registered as a case"),
        "register_case": _("Register as a case"),
        "from_screening": _("From a screening in %(area)s: the answers are carried over. Ask "
                            "the person's consent for each purpose."),
        "revision": _("revision %(n)s"),
        "saved_at": _("Saved %(when)s"),
        "empty_outbox": _("The outbox is empty."),
        "locked_entries": _("%(n)s entries of another account wait on this phone."),
        # Logout
        "logout_waiting": _("%(n)s entries have not been sent yet. Send them before you log out?"),
        "logout_sync_first": _("Send, then log out"),
        "logout_not_sent": _("%(n)s entries could not be sent, so you are still logged in. See "
                             "why in the field app's outbox, or log out now: they stay locked on "
                             "this phone."),
        "logout_draft": _("You have %(n)s entries half filled in, not saved yet. Logging out "
                          "throws them away."),
        "logout_drop_draft": _("Throw them away and log out"),
        "logout_anyway": _("Log out now (they stay locked on this phone)"),
        "logout_offline_waiting": _("You are offline and %(n)s entries have not been sent. If you "
                                    "log out now, they stay locked on this phone until you log "
                                    "in again."),
        "logout_offline_kept": _("You are offline. Your cases are removed from this phone; the "
                                 "%(n)s entries not sent stay on it, locked, and go out when you "
                                 "log in again."),
        "logout_offline": _("You are offline. Your data is removed from this phone now; the session ends on the server when you are online again."),
        "storage_denied": _("The browser may clear this app's storage when space runs low. Sync often."),
    }
