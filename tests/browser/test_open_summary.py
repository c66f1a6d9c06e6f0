"""Opening the field app does not grow with the book (issue 17): the first screen is drawn from
a small encrypted summary of the working set, kept beside it at each sync; the whole set is
opened after, and a case's screen waits for it."""
from webapp.book import cases, scheduling
from webapp.models import Case

from ..factories import make_case, make_club, make_user
from .test_field_app import STORAGE_DUMP, go_offline, member_of, open_app

# Every decryption the page makes, by what it opens ("<user id>:working", ":summary", an
# outbox entry), and the moment the first screen was drawn ("day"), in order.
WATCH_OPENING = """
window.__opened = [];
const realDecrypt = crypto.subtle.decrypt.bind(crypto.subtle);
crypto.subtle.decrypt = (algorithm, key, data) => {
  window.__opened.push(new TextDecoder().decode(algorithm.additionalData));
  return realDecrypt(algorithm, key, data);
};
const realMark = performance.mark.bind(performance);
performance.mark = (name, ...rest) => {
  if (name === "sotd:day") window.__opened.push("day");
  return realMark(name, ...rest);
};
"""

SUMMARY = """async () => {
  const user = await self.sotd.currentUser();
  const box = await self.sotd.get("working", "summary:" + user.id);
  return box ? self.sotd.unseal(user.key, box, user.id + ":summary") : null;
}"""


def a_member_with_many_cases(count=36):
    """A member following `count` cases, more than the summary's first page; the last one by
    code has a visit due today."""
    club = make_club()
    chair = make_user(club=club, role="chair")
    member = member_of(club)
    followed = [make_case(club=club, created_by=chair, assigned_to=member,
                          full_name=f"Người thứ {n:02d}", address=f"Tổ {n}, khu Kín")
                for n in range(count)]
    scheduling.assign_visit(chair, followed[-1], member, scheduling.local_today())
    return chair, member, followed


def test_the_first_screen_is_drawn_from_the_summary_and_a_case_from_the_whole_set(
        live_server, phone):
    chair, member, followed = a_member_with_many_cases()
    page = open_app(phone.new_page(), live_server, member)
    summary = page.evaluate(SUMMARY)
    assert summary["partial"] is True
    in_summary = {c["uuid"] for c in summary["cases"]}
    # The first page of My cases and the case Today names; not every case, nor their details.
    assert len(in_summary) < len(followed) and followed[-1].uuid in in_summary
    assert all(set(c) <= {"id", "uuid", "code", "full_name", "birth_year", "review_status",
                          "next_appointment"} for c in summary["cases"])
    [due] = summary["appointments"]
    assert due["case_uuid"] == followed[-1].uuid
    assert "Người thứ" not in page.evaluate(STORAGE_DUMP)  # encrypted at rest, as the whole set

    phone.add_init_script(WATCH_OPENING)
    go_offline(phone)
    page = phone.new_page()
    page.goto(f"{live_server.url}/app/")
    page.wait_for_selector(f"text=Người thứ {len(followed) - 1:02d}")  # Today's visit
    page.wait_for_function(f"() => window.__opened.includes('{member.id}:working')")
    opened = page.evaluate("window.__opened")
    assert opened.index(f"{member.id}:summary") < opened.index("day")
    assert opened.index("day") < opened.index(f"{member.id}:working")

    # A case beyond the summary: its screen, from the whole working set.
    beyond = next(c for c in followed if c.uuid not in in_summary)
    page.evaluate(f"location.hash = '#/case/{beyond.uuid}'")
    page.wait_for_selector(f"h1:has-text('{beyond.full_name}')")
    assert page.locator(f"text={beyond.address}").count() == 1

    # Straight to a case's screen, offline: it waits for the whole set, then shows it.
    page = phone.new_page()
    page.goto(f"{live_server.url}/app/#/case/{beyond.uuid}")
    page.wait_for_selector(f"h1:has-text('{beyond.full_name}')")


def test_the_summary_follows_each_sync_and_an_older_phone_opens_without_one(live_server, phone):
    chair, member, followed = a_member_with_many_cases(count=3)
    passed_on, erased, kept = followed[-1], followed[0], followed[1]
    colleague = member_of(chair.club)
    page = open_app(phone.new_page(), live_server, member)
    before = page.evaluate(SUMMARY)
    assert {c["uuid"] for c in before["cases"]} == {c.uuid for c in followed}
    assert [a["case_uuid"] for a in before["appointments"]] == [passed_on.uuid]

    cases.assign(Case.get_by_id(passed_on.id), colleague, by=chair)  # its appointment goes too
    cases.erase(Case.get_by_id(erased.id), chair)
    page.evaluate("() => self.sotd.sync()")
    after = page.evaluate(SUMMARY)
    assert {c["uuid"] for c in after["cases"]} == {kept.uuid}
    assert after["appointments"] == []
    whole = page.evaluate("async () => self.sotd.working(await self.sotd.currentUser())")
    assert [c["uuid"] for c in whole["cases"]] == [kept.uuid]

    # A phone synced by the version before summaries: it opens from the whole set.
    page.evaluate("""async () => {
      const user = await self.sotd.currentUser();
      await self.sotd.del("working", "summary:" + user.id);
    }""")
    go_offline(phone)
    page = phone.new_page()
    page.goto(f"{live_server.url}/app/#/cases")
    page.wait_for_selector(f"text={kept.full_name}")
    assert page.locator(f"text={erased.full_name}").count() == 0
