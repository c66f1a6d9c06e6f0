"""The ward survey on the phone: a screening recorded offline with the level the server's rule
suggests, the person registered as a case offline from it, both arriving once, linked."""
from datetime import timedelta

import pytest

from webapp.book import fields
from webapp.models import Case, EntryRevision, Screening, SurveyAssignment, SurveyRound

from ..factories import make_club, make_user
from .test_field_app import go_offline, go_online, member_of, open_app, wait_all_sent, waiting

pytestmark = pytest.mark.browser
SHOTS = "/work/helpers/shots-survey"


def test_a_screening_offline_registered_as_a_case_offline_arrives_once_linked(live_server, phone):
    club = make_club()
    member = member_of(club)
    chair = make_user(club=club, role="chair")
    today = fields.local_today()
    round_ = SurveyRound.create(club=club, name="Khảo sát tháng 12", starts_on=today,
                                ends_on=today + timedelta(days=30),
                                areas=["Tổ 1", "Tổ 2", "Khu phố 3"], created_by=chair)
    SurveyAssignment.create(round=round_, area="Khu phố 3", member=member)
    page = open_app(phone.new_page(), live_server, member)
    page.set_viewport_size({"width": 360, "height": 780})

    go_offline(phone)
    page.evaluate("location.hash = '#/survey'")
    survey = page.locator("main, #view").first
    assert "Khu phố 3" in survey.inner_text()
    page.screenshot(path=f"{SHOTS}/phone-survey.png", full_page=True)
    page.click(f"a[href='#/new/screening?round={round_.uuid}']")
    area = page.locator("[data-field=area] .chip")
    area.first.wait_for()
    assert area.first.inner_text() == "Khu phố 3"  # my area first
    area.first.click()
    page.select_option("#f-category", "labour_migrant")
    suggested = page.locator("[data-testid=suggested-level]")
    assert suggested.inner_text() == "Thấp"
    answers = page.locator("[data-field=indicators]")
    answers.locator("input[value=plans_abroad]").check()
    assert suggested.inner_text() == "Trung bình"
    answers.locator("input[value=broker_contact]").check()
    assert suggested.inner_text() == "Cao"  # 1 + 2 points, as the server's table says
    assert page.locator("[data-field=risk_level] input:checked").get_attribute("value") == "high"
    page.locator("[data-field=counselled] input").check()
    page.screenshot(path=f"{SHOTS}/phone-screening-form.png", full_page=True)
    page.click("form button[type=submit]")
    page.wait_for_url("**/app/#/survey")
    assert waiting(page) == 1
    page.screenshot(path=f"{SHOTS}/phone-survey-screening-waiting.png", full_page=True)

    # The person agrees to be followed: one step from the screening, still offline.
    page.locator("[data-testid=screenings] a[href^='#/new/case?screening=']").click()
    page.wait_for_selector("[data-testid=from-screening]")
    assert page.locator("[data-field=categories] input[value=labour_migrant]").is_checked()
    assert page.locator("[data-field=risk_level] input:checked").get_attribute("value") == "high"
    page.fill("#f-full_name", "Đặng Văn Khảo")
    page.locator("[data-field=sex] .chip").nth(1).click()
    for n, purpose in enumerate(page.locator("[data-field=consent] fieldset").all()):
        purpose.locator(".chip").nth(0 if n == 0 else 1).click()
    page.screenshot(path=f"{SHOTS}/phone-register-from-screening.png", full_page=True)
    page.click("form button[type=submit]")
    page.wait_for_url("**/app/#/case/*")
    assert waiting(page) == 2
    assert Screening.select().count() == 0 and Case.select().count() == 0

    go_online(phone)
    wait_all_sent(page)
    [screening] = Screening.select()
    [case] = Case.select()
    assert screening.registered_case_id == case.id and case.screening_uuid == screening.uuid
    assert (screening.area, screening.suggested_level, screening.risk_level) == (
        "Khu phố 3", "high", "high")
    assert screening.counselled is True
    assert EntryRevision.select().where(EntryRevision.uuid == screening.uuid).count() == 1
    assert EntryRevision.select().where(EntryRevision.uuid == case.uuid).count() == 1
    page.evaluate("location.hash = '#/survey'")
    page.wait_for_selector("[data-testid=screenings] .badge--ok")


def test_a_screening_already_sent_is_registered_as_a_case_offline(live_server, phone):
    club = make_club()
    member = member_of(club)
    chair = make_user(club=club, role="chair")
    today = fields.local_today()
    round_ = SurveyRound.create(club=club, name="Khảo sát", starts_on=today,
                                ends_on=today + timedelta(days=30), areas=["Tổ 7"],
                                created_by=chair)
    page = open_app(phone.new_page(), live_server, member)
    page.evaluate(f"location.hash = '#/new/screening?round={round_.uuid}'")
    page.locator("[data-field=area] .chip").first.click()
    page.select_option("#f-category", "returnee")
    page.locator("[data-field=indicators] input[value=earlier_trafficking]").check()
    page.click("form button[type=submit]")
    page.wait_for_url("**/app/#/survey")
    wait_all_sent(page)
    [screening] = Screening.select()
    assert screening.suggested_level == "medium"  # 2 points

    # The person agrees days later: the screening is on the server, the phone offline.
    page.evaluate("location.hash = '#/survey'")
    page.wait_for_selector("[data-testid=screenings] .list__item")
    go_offline(phone)
    page.locator(f"a[href='#/new/case?screening={screening.uuid}']").click()
    page.wait_for_selector("[data-testid=from-screening]")
    assert page.locator("[data-field=categories] input[value=returnee]").is_checked()
    assert page.locator("#f-neighbourhood").input_value() == "Tổ 7"
    page.fill("#f-full_name", "Lý Thị Về")
    page.locator("[data-field=sex] .chip").first.click()
    for purpose in page.locator("[data-field=consent] fieldset").all():
        purpose.locator(".chip").first.click()
    page.click("form button[type=submit]")
    page.wait_for_url("**/app/#/case/*")
    page.evaluate("location.hash = '#/survey'")
    page.wait_for_selector("[data-testid=screenings] .badge--ok")  # registered, not yet sent
    go_online(phone)
    wait_all_sent(page)
    [case] = Case.select()
    assert Screening.get_by_id(screening.id).registered_case_id == case.id
    assert case.risk_level == "medium" and Case.select().count() == 1
