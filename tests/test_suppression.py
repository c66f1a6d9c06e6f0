"""Suppression that survives subtraction (issue 15, finding 6): within every set of counts that
adds up to a shown total, no hidden count can be worked out from the others and the total."""
import itertools

import pytest

from webapp.book import reports
from webapp.book.reports import HIDDEN, SMALL, area

from .factories import make_club
from .report_data import seed_year

YEAR = 2025


def possible_values(shown, total, cap=None):
    """Every assignment of the hidden counts a reader could believe (brute force, no cleverness):
    "<5" is 1 to 4, "*" 5 or more ("*" may be 1 or more when no "<5" is left beside it)."""
    cap = cap or total
    small_left = SMALL in shown
    choices = []
    for value in shown:
        if value == SMALL:
            choices.append(range(1, 5))
        elif value == HIDDEN:
            choices.append(range(5 if small_left else 1, cap + 1))
        else:
            choices.append([value])
    return [combo for combo in itertools.product(*choices) if sum(combo) == total]


def assert_nothing_worked_out(shown, total, parts=None):
    if total == SMALL or not any(v in (SMALL, HIDDEN) for v in shown):
        return
    assert sum(1 for v in shown if v in (SMALL, HIDDEN)) >= 2, (shown, total)
    worlds = possible_values(shown, total)
    if parts is not None:
        assert tuple(parts) in worlds  # what the reader believes includes the truth
    for i, value in enumerate(shown):
        if value in (SMALL, HIDDEN):
            assert len({world[i] for world in worlds}) > 1, (shown, total, i)


def test_the_issues_example_two_hidden_months_that_must_both_be_one():
    # January <5, February <5, March 10, the year 12: both hidden months would be 1.
    shown = reports.suppress_parts([1, 1, 10], 12)
    assert shown == [SMALL, SMALL, HIDDEN]
    assert_nothing_worked_out(shown, 12, [1, 1, 10])


@pytest.mark.parametrize("parts", [
    [1, 5], [2, 5, 0], [4, 4, 4, 20], [1, 1, 1, 1, 5], [3, 7, 9], [1, 1, 10], [2, 2, 5, 5],
    [1, 0, 0, 6], [4, 1, 30],
])
def test_every_subtraction_fails_on_chosen_sets(parts):
    total = sum(parts)
    shown = reports.suppress_parts(parts, total)
    assert [v for v, n in zip(shown, parts) if v not in (SMALL, HIDDEN)] == [
        n for v, n in zip(shown, parts) if v not in (SMALL, HIDDEN)]
    assert_nothing_worked_out(shown, reports.suppress(total), parts)


def test_every_set_of_every_small_set_up_to_sixteen():
    # Every way of splitting 1..16 into up to four counts: no hidden one is ever given away.
    for total in range(1, 17):
        for size in (2, 3, 4):
            for parts in itertools.product(range(total + 1), repeat=size):
                if sum(parts) == total:
                    shown = reports.suppress_parts(list(parts), total)
                    assert_nothing_worked_out(shown, reports.suppress(total), parts)


def test_every_set_on_the_supervisors_pages_of_seeded_clubs(app):
    clubs = [seed_year(YEAR, seed=seed, n_cases=n,
                       club=make_club(city="Hạ Long", province="Quảng Ninh")).club
             for seed, n in ((3, 30), (11, 8), (5, 12), (23, 6))]
    checked = 0
    for row in reports.area_report(clubs, YEAR)["rows"]:
        statuses, outcomes = [v for _l, v in row["statuses"]], [v for _l, v in row["outcomes"]]
        sets = [(row["referrals"], statuses)]
        # The outcomes are those of the ended referrals: parts of completed + declined.
        ended = statuses[reports.REFERRAL_STATUSES.codes.index("completed"):]
        if all(isinstance(v, int) for v in ended):
            sets.append((sum(ended), outcomes))
        sets += [(row[name], row["series"][name]) for name in row["series"]]
        for total, shown in sets:
            if isinstance(total, int) and total > 60:
                continue  # brute force stays small; the rule is the same
            assert_nothing_worked_out(shown, total)
            checked += 1
    assert checked >= 8


# --- "Target met" beside a hidden share ------------------------------------------------------

def test_the_area_page_shows_no_target_met_beside_a_hidden_share(app, client):
    """The area page shows the people reached and whether the referred-share target was met. With
    a 90% target and 10 people reached, "met" says 9 or 10 were referred: beside the share being
    hidden (1 to 4 referred or not), exactly 1 was not referred."""
    from datetime import date, datetime

    from webapp.models import Target

    from .factories import login_as, make_case, make_user
    from .report_data import make_referral

    club = make_club(city="Hạ Long", province="Quảng Ninh")
    supervisor = make_user(role="supervisor", area="Hạ Long")
    member = make_user(club=club)
    Target.create(club=club, year=YEAR, consultations=120, mobilised_per_member=2,
                  referred_percent=90)
    people = [make_case(club=club, created_by=member, consent=("follow", "refer"),
                        created_at=datetime(YEAR, 3, 1, 3)) for _ in range(10)]
    for person in people[:9]:
        make_referral(person, member, referred_on=date(YEAR, 6, 1))
    [row] = reports.area_report([club], YEAR)["rows"]
    assert row["cases"] == 10
    assert row["targets_met"]["referred"] is None, row["targets_met"]
    login_as(client, supervisor)
    html = client.get(f"/area/?year={YEAR}").get_data(as_text=True)
    [referred_line] = [part for part in html.split("<tr>")
                       if "Đạt chỉ tiêu tỷ lệ chuyển gửi" in part]
    cells = referred_line.split("</th>", 1)[1]
    assert "Đạt" not in cells.replace("Chưa đạt", "").replace("CLB đạt", ""), cells
    assert "0 CLB đạt" in cells, cells
    csv = client.post(f"/area/export?year={YEAR}", data={"file_format": "csv"}).get_data(
        as_text=True)
    [exported] = [line for line in csv.splitlines() if "Đạt chỉ tiêu tỷ lệ chuyển gửi" in line]
    assert exported.rstrip().rsplit(",", 1)[1] not in ("có", "không"), exported


# --- Successful outcomes belong to completed referrals ---------------------------------------

SUCCESSFUL = (0, 1)  # received the service, partly received: only a completed referral's


def referral_readings(total, statuses, outcomes):
    """{("s"|"o", index): the values a hidden count may have}, read by brute force as a reader
    who knows the rules reads a club's referrals: the statuses (referred, accepted, completed,
    declined) add up to the total ("<5": 1 to 4), the outcomes to completed + declined, and the
    successful outcomes (SUCCESSFUL) to at most the completed. "<5" is 1 to 4, "*" at least 5
    beside a "<5" of its set, else at least 1; a set shown as "*" only may hold 0s."""
    totals = range(1, 5) if total == SMALL else [total]

    def choices(shown, cap):
        if all(value == HIDDEN for value in shown):
            return [range(0, cap + 1)] * len(shown)
        least = 5 if SMALL in shown else 1
        return [range(1, 5) if v == SMALL else range(least, cap + 1) if v == HIDDEN else [v]
                for v in shown]

    found = {}
    for t in totals:
        for world in itertools.product(*choices(statuses, t)):
            if sum(world) != t:
                continue
            completed, ended = world[2], world[2] + world[3]
            for parts in itertools.product(*choices(outcomes, ended)):
                if sum(parts) != ended or sum(parts[i] for i in SUCCESSFUL) > completed:
                    continue
                for key, values in (("s", world), ("o", parts)):
                    for i, value in enumerate(values):
                        found.setdefault((key, i), set()).add(value)
    return found


def assert_no_referral_count_worked_out(total, statuses, outcomes, truth=None):
    readings = referral_readings(total, statuses, outcomes)
    if truth is not None:  # what the reader believes includes the truth
        for key, values in (("s", truth[0]), ("o", truth[1])):
            for i, value in enumerate(values):
                assert value in readings[key, i], (key, i, statuses, outcomes, truth)
    for key, shown in (("s", statuses), ("o", outcomes)):
        for i, value in enumerate(shown):
            # (A "*" that can only be 0 names no one: an outcome of no completed referral.)
            if value in (SMALL, HIDDEN) and readings[key, i] != {0}:
                assert len(readings[key, i]) > 1, (key, i, total, statuses, outcomes,
                                                   readings[key, i], truth)


def test_a_partly_received_count_cannot_be_worked_out_from_the_completed(app):
    """6 completed and 5 declined; outcomes 5 received the service, "<5" partly and two "<5"
    other reasons: safe by their sum alone (11), but a declined referral is never successful,
    so at most 6 - 5 = 1 partly received it, and a hidden count is never 0: exactly 1."""
    from datetime import date

    from .factories import make_case, make_user
    from .report_data import make_referral

    club = make_club(city="Hạ Long", province="Quảng Ninh")
    member = make_user(club=club)
    case = make_case(club=club, created_by=member, consent=("follow", "refer"))
    plan = ([("referred", "")] * 10 + [("accepted", "")] * 10
            + [("completed", "service_received")] * 5 + [("completed", "partly_received")]
            + [("declined", "refused_by_person")] * 2 + [("declined", "no_capacity")] * 3)
    for status, outcome in plan:
        make_referral(case, member, referred_on=date(YEAR, 5, 1), status=status,
                      outcome=outcome)
    [row] = reports.area_report([club], YEAR)["rows"]
    statuses = [value for _label, value in row["statuses"]]
    outcomes = [value for _label, value in row["outcomes"]]
    assert row["referrals"] == 31 and statuses == [10, 10, 6, 5]
    codes = reports.REFERRAL_OUTCOMES.codes
    assert codes[:2] == ["service_received", "partly_received"]  # SUCCESSFUL
    assert_no_referral_count_worked_out(31, statuses, outcomes)


def test_no_referral_count_is_worked_out_from_statuses_and_outcomes_of_small_clubs():
    """Every split of 1 to 8 referrals by status, and of the ended ones among four outcomes (two
    successful, only of completed ones): no hidden count is pinned by the sums, the successful
    outcomes' limit, or how many counts are above 0."""
    checked = 0
    for total in range(1, 9):
        for statuses in itertools.product(range(total + 1), repeat=4):
            if sum(statuses) != total:
                continue
            completed, declined = statuses[2], statuses[3]
            ended = completed + declined
            for outcomes in itertools.product(range(ended + 1), repeat=4):
                if sum(outcomes) != ended or outcomes[0] + outcomes[1] > completed:
                    continue
                shown, parts = area.referral_parts(list(statuses), list(outcomes), total,
                                                   successful=SUCCESSFUL)
                assert_no_referral_count_worked_out(reports.suppress(total), shown, parts,
                                                    (statuses, outcomes))
                checked += 1
    assert checked > 1000


# --- How many parts of a small total are above 0 ---------------------------------------------

def test_four_small_parts_of_a_small_total_are_not_shown_as_such():
    """A total shown as "<5" is 1 to 4: four parts shown as "<5" (each at least 1) must each be 1,
    and four "*" would say the same. Nothing of them is shown, 0s included."""
    shown = reports.suppress_parts([1, 1, 0, 1, 1], 4)
    assert shown.count(SMALL) < 4
    assert shown == [HIDDEN] * 5


def test_no_part_of_a_small_total_is_ever_pinned():
    """Every split of a total of 1 to 4 into up to six parts: a reader who knows only that the
    total is 1 to 4 can pin none of the hidden parts."""
    for total in range(1, 5):
        for size in range(1, 7):
            for parts in itertools.product(range(total + 1), repeat=size):
                if sum(parts) != total:
                    continue
                shown = reports.suppress_parts(list(parts), total)
                if all(value == HIDDEN for value in shown):
                    continue  # every part 0 or more: nothing told
                worlds = [w for t in range(1, 5) for w in possible_values(shown, t, cap=4)]
                assert tuple(parts) in worlds, (parts, shown)
                for i, value in enumerate(shown):
                    if value in (SMALL, HIDDEN):
                        assert len({w[i] for w in worlds}) > 1, (parts, shown, i)
