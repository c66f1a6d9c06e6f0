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


@pytest.mark.parametrize("role, present, absent", [
    ("admin", ["Câu lạc bộ", "Tài khoản"], ["Thành viên"]),
    ("chair", ["Trang chủ", "Phê duyệt", "Cá nhân"], ["Câu lạc bộ", "Tài khoản"]),
    ("supervisor", ["Trang chủ", "Cá nhân"], ["Thành viên", "Câu lạc bộ"]),
])
def test_each_role_sees_only_what_it_may_use(client, role, present, absent):
    login_as(client, make_user(role=role))
    page = client.get("/").get_data(as_text=True)
    labels = re.findall(r'<a class="bottomnav__item[^"]*"[^>]*>\s*<svg.*?<span>([^<]+)</span>',
                        page, re.S)
    assert all(label in labels for label in present), labels
    assert not any(label in labels for label in absent), labels


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


def test_a_screen_left_off_the_bar_is_lit_on_it_while_shown(app, client):
    chair = make_user(role="chair")
    login_as(client, chair)
    page = client.get("/club/members/").get_data(as_text=True)
    assert lit_items(page) == ["Thành viên"]
    assert len(_bar_links(page)) <= BOTTOM_BAR_SIZE
