"""The bottom navigation: which screens each role reaches in one tap."""
from flask import current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .permissions import allowed, rule_for

# (endpoint, label, icon) in the order shown; each appears only where the user may use it.
ITEMS = [
    ("home.index", _l("Home"), "home"),
    ("admin.clubs", _l("Clubs"), "club"),
    ("admin.users", _l("Accounts"), "users"),
    ("members.index", _l("Members"), "users"),
    ("reports.dashboard", _l("Figures"), "chart"),
    ("monthly.index", _l("Monthly meeting"), "calendar"),
    ("area.index", _l("Area figures"), "chart"),
    ("auth.account", _l("Account"), "user"),
]


def nav_items():
    if not current_user.is_authenticated:
        return []
    items = []
    for endpoint, label, icon in ITEMS:
        if endpoint in current_app.view_functions and allowed(current_user, rule_for(endpoint)):
            items.append(dict(endpoint=endpoint, label=str(label), icon=icon,
                              active=request.endpoint == endpoint
                              or (request.endpoint or "").split(".")[0] == endpoint.split(".")[0]))
    return items


def init_app(app):
    app.context_processor(lambda: {"nav_items": nav_items})
