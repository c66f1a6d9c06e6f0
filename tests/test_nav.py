"""The bottom bar stays readable on a 360 px phone; the home page lists every screen."""
import re

from flask import url_for

from webapp.nav import BOTTOM_BAR_SIZE, nav_items

from .factories import login_as, make_user


def _bar_links(html):
    bar = html.split('class="bottomnav"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r"<a [^>]*href=\"([^\"]+)\"", bar)


def test_bottom_bar_holds_at_most_five_items_and_the_account(app, client):
    chair = make_user(role="chair")
    login_as(client, chair)
    html = client.get("/account").get_data(as_text=True)
    links = _bar_links(html)
    assert 1 < len(links) <= BOTTOM_BAR_SIZE
    assert links[-1] == "/account"


def test_home_lists_every_screen_the_bar_leaves_out(app, client):
    chair = make_user(role="chair")
    login_as(client, chair)
    html = client.get("/").get_data(as_text=True)
    with app.test_request_context():
        from flask_login import login_user
        chair.session_token = "x"
        login_user(chair)
        expected = {url_for(item["endpoint"]) for item in nav_items()} - {"/"}
    for href in expected:
        assert f'href="{href}"' in html
