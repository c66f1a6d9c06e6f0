"""The home page each role lands on after login."""
from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from .. import accounts
from ..book import reports
from ..models import Club
from ..permissions import LOGGED_IN, access

bp = Blueprint("home", __name__)


@bp.route("/")
@access(LOGGED_IN)
def index():
    """Home: the chair's month at a glance, or the clubs of a supervisor's area, and where to
    go next."""
    if current_user.role == "member":
        return redirect(url_for("shell.app"))  # members work in the field app; chairs keep the desk
    area_clubs = []
    if current_user.role == "supervisor":
        area = current_user.area
        area_clubs = list(Club.select()
                          .where((Club.city == area) | (Club.province == area))
                          .order_by(Club.name))
    events = (accounts.open_account_events(current_user.club_id) if current_user.role == "chair"
              else [])
    glance = reports.month_at_a_glance(current_user.club) if current_user.role == "chair" else None
    return render_template("home/index.html", area_clubs=area_clubs, account_events=events,
                           glance=glance)
