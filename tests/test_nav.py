"""The bottom navigation: each role's items, and exactly one lit for the page shown."""
import re

import pytest
from flask import url_for

from webapp.nav import BOTTOM_BAR_SIZE, nav_items

from .factories import login_as, make_user


def lit_items(page):
    return re.findall(r'class="bottomnav__item is-active"[^>]*aria-current="page">\s*<svg.*?<span>'
                      r'([^<]+)</span>', page, re.S)


@pytest.mark.parametrize("path, lit", [
    ("/", ["Trang chủ"]),
    ("/admin/clubs", ["Câu lạc bộ"]),
    ("/admin/users", ["Tài khoản"]),
    ("/admin/users/{id}", ["Tài khoản"]),
    ("/account", ["Cá nhân"]),
    ("/account/password", ["Cá nhân"]),
])
def test_one_item_is_lit(client, path, lit):
    admin = make_user(role="admin")
    login_as(client, admin)
    page = client.get(path.format(id=admin.id)).get_data(as_text=True)
    assert lit_items(page) == lit


@pytest.mark.parametrize("role, bar", [
    ("admin", ["Trang chủ", "Câu lạc bộ", "Tài khoản", "Cá nhân"]),
    ("chair", ["Trang chủ", "Phê duyệt", "Hồ sơ", "Lịch hẹn", "Số liệu"]),
    ("supervisor", ["Trang chủ", "Số liệu địa bàn", "Cá nhân"]),
])
def test_each_role_has_its_own_bar(client, role, bar):
    login_as(client, make_user(role=role))
    page = client.get("/").get_data(as_text=True)
    labels = re.findall(r'<a class="bottomnav__item[^"]*"[^>]*>\s*<svg.*?<span>([^<]+)</span>',
                        page, re.S)
    assert labels == bar


def _bar_links(html):
    bar = html.split('class="bottomnav"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r"<a [^>]*href=\"([^\"]+)\"", bar)


def test_the_bar_is_the_same_on_every_page_of_a_role(app, client):
    chair = make_user(role="chair")
    login_as(client, chair)
    bars = {path: _bar_links(client.get(path).get_data(as_text=True))
            for path in ("/", "/account", "/club/members/", "/desk/review/", "/desk/monthly/2026/1",
                         "/desk/activities/")}
    assert len({tuple(links) for links in bars.values()}) == 1, bars
    assert 1 < len(bars["/"]) <= BOTTOM_BAR_SIZE


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


def test_a_screen_left_off_the_bar_lights_nothing_on_it(app, client):
    chair = make_user(role="chair")
    login_as(client, chair)
    assert lit_items(client.get("/club/members/").get_data(as_text=True)) == []
    assert lit_items(client.get("/desk/cases/").get_data(as_text=True)) == ["Hồ sơ"]
    # The account, off the chair's bar, stays one tap away behind the name in the top bar.
    assert 'class="topbar__user" href="/account"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_the_desk_offers_the_field_app_only_to_those_it_does_not_send_back(client, role):
    """A supervisor's or an administrator's field app sends them to the desk (working_set.at_desk):
    their home has no tile to it — unless entries of theirs wait on their phone, to hand in."""
    from webapp.models import User

    user = make_user(role=role)
    login_as(client, user)
    assert 'href="/app/"' not in client.get("/").get_data(as_text=True)
    User.update(waiting_count=2).where(User.id == user.id).execute()
    assert 'href="/app/"' in client.get("/").get_data(as_text=True)
    client.post("/logout")
    login_as(client, make_user(role="chair"))
    assert 'href="/app/"' in client.get("/").get_data(as_text=True)
