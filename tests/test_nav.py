"""The bottom navigation: each role's items, and exactly one lit for the page shown."""
import re

import pytest

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
    ("chair", ["Thành viên"], ["Câu lạc bộ", "Tài khoản"]),
    ("supervisor", ["Trang chủ", "Cá nhân"], ["Thành viên", "Câu lạc bộ"]),
])
def test_each_role_sees_only_what_it_may_use(client, role, present, absent):
    login_as(client, make_user(role=role))
    page = client.get("/").get_data(as_text=True)
    labels = re.findall(r'<a class="bottomnav__item[^"]*"[^>]*>\s*<svg.*?<span>([^<]+)</span>',
                        page, re.S)
    assert all(label in labels for label in present), labels
    assert not any(label in labels for label in absent), labels
