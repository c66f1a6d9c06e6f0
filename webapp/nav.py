"""The bottom navigation: which screens each role reaches in one tap; the icons it draws."""
import re
from functools import lru_cache
from pathlib import Path

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _pl
from flask_login import current_user
from markupsafe import Markup

from .permissions import allowed, rule_for


def _review_count(user):
    from .book.conflicts import open_count
    from .book.review import queue_count

    # Entries waiting for a decision, and copies kept by sync conflicts waiting for the board.
    return queue_count(user.club) + open_count(user.club)


# (endpoint, label, icon[, count]) in the order shown; each appears only where the user may use it.
# The optional count(user) is shown as a badge on the item (e.g. entries waiting for review).
ITEMS = [
    ("home.index", _l("Home"), "home"),
    ("review.queue", _l("Review"), "review", _review_count),
    ("book.cases_list", _l("Cases"), "cases"),
    ("shell.app", _l("Field app"), "today"),
    ("admin.clubs", _l("Clubs"), "club"),
    ("admin.users", _l("Accounts"), "users"),
    ("reports.dashboard", _l("Figures"), "chart"),
    ("area.index", _l("Area figures"), "chart"),
    ("evaluation.index", _l("Pilot evaluation"), "chart"),
    ("agenda.index", _l("Agenda"), "calendar"),
    ("members.index", _l("Members"), "users"),
    ("book.activities_list", _l("Activities"), "calendar"),
    ("providers.index", _l("Service providers"), "book"),
    ("survey.index", _l("Ward survey"), "search"),
    ("book.requests_list", _l("Data requests"), "search"),
    ("auth.account", _l("Account"), "user"),
]


# Each role's bar: the same items on every page, in this order, at most five so that each label
# stays on one line at 360 px. Every other screen is one tap away on the home page's tiles (and
# the account behind the top bar's name).
BARS = {
    "chair": ("home.index", "review.queue", "book.cases_list", "agenda.index", "reports.dashboard"),
    "supervisor": ("home.index", "area.index", "auth.account"),
    "admin": ("home.index", "admin.clubs", "admin.users", "auth.account"),
    "member": ("shell.app", "auth.account"),
}
BOTTOM_BAR_SIZE = 5

# Shorter words where the screen's own name is too long for a fifth of a phone's width.
BAR_LABELS = {
    "book.cases_list": _pl("bottom bar", "Cases"),
}


def bottom_items():
    """The items of the user's bar, whichever page is shown; the page's own item is lit."""
    if not current_user.is_authenticated:
        return []
    by_endpoint = {item["endpoint"]: item for item in nav_items()}
    bar = [by_endpoint[endpoint] for endpoint in BARS.get(current_user.role, ())
           if endpoint in by_endpoint]
    for item in bar:
        if item["endpoint"] in BAR_LABELS:
            item["label"] = str(BAR_LABELS[item["endpoint"]])
    return bar


def nav_items():
    from .book.working_set import at_desk

    if not current_user.is_authenticated:
        return []
    items = []
    # The field app is offered to no one it would send back to the desk.
    skip = {"shell.app"} if at_desk(current_user) else set()
    for endpoint, label, icon, *count in ITEMS:
        if (endpoint in current_app.view_functions and endpoint not in skip
                and allowed(current_user, rule_for(endpoint))):
            items.append(dict(endpoint=endpoint, label=str(label), icon=icon,
                              count=count[0](current_user) if count else None,
                              url=url_for(endpoint), active=False))
    # The item whose address is the longest start of this page's is the one lit: /admin/users/5
    # lights Accounts, not Clubs, though both are admin pages. Home only lights on itself.
    def covers(item):
        base = item["url"].rstrip("/")
        return request.path == item["url"] or (base and request.path.startswith(base + "/"))

    current = max((item for item in items if covers(item)), key=lambda item: len(item["url"]),
                  default=None)
    if current is not None:
        current["active"] = True
    return items


@lru_cache(maxsize=1)
def _sprite(path):
    text = Path(path).read_text(encoding="utf-8")
    text = re.sub(r"<!--.*?-->\s*", "", text, flags=re.S)
    return Markup(text.replace("<svg ", '<svg class="sprite" aria-hidden="true" ', 1))


def icon_sprite():
    """The icons' symbols, inlined in every page: `<use href="#name">` then needs no second
    document, which costs a slow phone a few tens of milliseconds when it opens the app."""
    return _sprite(str(Path(current_app.static_folder, "icons", "icons.svg")))


def init_app(app):
    app.context_processor(lambda: {"nav_items": nav_items, "bottom_items": bottom_items,
                                   "icon_sprite": icon_sprite})
