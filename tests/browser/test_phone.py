"""The field app's words and its answers to what the server says: labels from the schema, erased
cases, waiting counts, clocks, consent in the field, two versions side by side (issues 12–14).

Each test counts what the server holds as well as what the phone shows (TESTING.md).
"""
import json

import pytest

from webapp.models import Referral

from ..factories import make_case, make_club
from .test_field_app import member_of, open_app, sync_once

pytestmark = pytest.mark.browser


def test_labels_and_codes_come_from_the_schema_and_the_fields_vocabulary(live_server, phone):
    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member, address="Số 4 ngõ 12", neighbourhood="Tổ 3",
                     consent=("follow",))  # not "refer": a referral is refused
    page = open_app(phone.new_page(), live_server, member)
    strings = json.loads(page.locator("#ui-strings").text_content())
    assert not [key for key in strings if key.startswith("f_")]  # no second copy of the labels

    page.evaluate(f"location.hash = '#/case/{case.uuid}'")
    facts = page.locator("dl.facts").inner_text()
    assert "Địa chỉ (tổ, đường phố)" in facts and "Số 4 ngõ 12" in facts  # fields.py's words
    titles = page.evaluate("async () => (await self.sotd.snapshot()).schema.$defs.case.properties")
    for name in ("neighbourhood", "categories", "risk_level"):
        assert titles[name]["title"] in facts
    assert "Nhóm đối tượng" in facts and "Người có nguy cơ trở thành nạn nhân" in facts

    # A code means what the vocabulary of its field says, even where another vocabulary holds it.
    labels = page.evaluate("""async () => {
      const views = await import("/static/js/views.js");
      const schema = (await self.sotd.snapshot()).schema;
      const state = { schema, working: { vocabularies: {
        sex: [{ code: "other", label: "Giới tính khác" }],
        topic: [{ code: "other", label: "Chủ đề khác" }] } } };
      return [views.shown(state, "case", "sex", "other"), views.shown(state, "visit", "topics", ["other"])];
    }""")
    assert labels == ["Giới tính khác", "Chủ đề khác"]

    # A refusal names the field by its label, never by its key.
    page.evaluate(f"location.hash = '#/new/referral?case={case.uuid}'")
    page.select_option("#f-service_kind", index=1)
    page.fill("#f-provider", "Trung tâm Công tác xã hội")
    page.click("form button[type=submit]")
    page.wait_for_selector(".alert--success")
    sync_once(page)
    errors = page.locator(".outbox__item[data-state=invalid] .outbox__errors").inner_text()
    label = page.evaluate(
        "async () => (await self.sotd.snapshot()).schema.$defs.referral.properties.case_uuid.title")
    assert errors.startswith(label + ": ") and "case_uuid" not in errors
    assert Referral.select().count() == 0
