"""Supervisors' figures: no hidden count can be worked out from the figures shown beside it —
outcomes beside the statuses of the referrals they belong to, a provider's declined beside its
sent and accepted, a share of people beside the number of people it is a share of.
"""
from datetime import date, datetime

from flask_babel import force_locale

from webapp.book import reports
from webapp.book.reports.area import HIDDEN, SMALL
from webapp.models import Provider

from .factories import make_case, make_club, make_user, today
from .report_data import make_referral

YEAR = 2025


def hidden_values(shown, total):
    """{index: the values each hidden count may have}, for counts that add up to `total`, as a
    reader who knows the rules reads them: "<5" is 1 to 4; "*" is at least 5 where a "<5" is
    still shown beside it (suppress_parts hid a count shown otherwise), else at least 1."""
    least_hidden = 5 if SMALL in shown else 1
    ranges = {i: range(1, 5) if v == SMALL else range(least_hidden, total + 1)
              for i, v in enumerate(shown) if v in (SMALL, HIDDEN)}
    left = total - sum(v for v in shown if v not in (SMALL, HIDDEN))
    found = {i: set() for i in ranges}

    def walk(indices, chosen, rest):
        if not indices:
            if rest == 0:
                for i, value in chosen.items():
                    found[i].add(value)
            return
        first, *others = indices
        for value in ranges[first]:
            if value <= rest:
                walk(others, {**chosen, first: value}, rest - value)

    walk(sorted(ranges), {}, left)
    return found


def test_referral_outcomes_cannot_be_worked_out_from_the_statuses_beside_them(app):
    """On the area page a club's referrals are shown by status and by outcome, each suppressed
    against the referrals' total (20). But the outcomes add up exactly to the completed and
    declined referrals, shown in the statuses: 6 completed and 0 declined beside outcomes "*"
    (at least 5) and "<5" (at least 1) give both away: 5 received the service, 1 partly."""
    club = make_club(city="Hạ Long", province="Quảng Ninh")
    member = make_user(club=club)
    case = make_case(club=club, created_by=member, consent=("follow", "refer"))
    plan = ([("referred", "")] * 7 + [("accepted", "")] * 7
            + [("completed", "service_received")] * 5 + [("completed", "partly_received")])
    for status, outcome in plan:
        make_referral(case, member, referred_on=date(YEAR, 5, 1), status=status,
                      outcome=outcome)
    [row] = reports.area_report([club], YEAR)["rows"]
    statuses = dict(zip(("referred", "accepted", "completed", "declined"),
                        [value for _label, value in row["statuses"]]))
    outcomes = [value for _label, value in row["outcomes"]]
    assert row["referrals"] == 20
    if not (isinstance(statuses["completed"], int) and isinstance(statuses["declined"], int)):
        return  # the statuses that the outcomes add up to are not shown exactly
    ended = statuses["completed"] + statuses["declined"]  # every outcome is of one of these
    assert all(len(values) > 1 for values in hidden_values(outcomes, ended).values()), (
        statuses, outcomes, hidden_values(outcomes, ended))


def test_a_providers_declined_referrals_cannot_be_worked_out_from_sent_and_accepted(app):
    """The supervisor's directory shows, per provider, the referrals sent, accepted (accepted or
    completed), completed and declined. Completed and declined are suppressed against sent only,
    so sent 6 and accepted 5 leave room for one declined at most, and a hidden count is never 0:
    the hidden declined count is 1."""
    club = make_club(city="Hạ Long", province="Quảng Ninh")
    supervisor = make_user(role="supervisor", area="Hạ Long")
    member = make_user(club=club)
    provider = Provider.create(area="Hạ Long", name="Trung tâm Công tác xã hội tỉnh",
                               service_kinds=["psychological"], created_by=supervisor)
    case = make_case(club=club, created_by=member, consent=("follow", "refer"))
    for status in ["completed"] * 5 + ["declined"]:
        make_referral(case, member, listed_provider=provider, status=status,
                      outcome="service_received" if status == "completed" else "no_capacity",
                      referred_on=today(-40), status_changed_on=today(-10))
    [row] = [r for r in reports.provider_figures(supervisor) if r["provider"].id == provider.id]
    shown = (row["sent"], row["accepted"], row["completed"], row["declined"])
    assert shown[3] in (SMALL, HIDDEN), shown

    def fits(value, count):
        if value == SMALL:
            return 1 <= count <= 4
        if value == HIDDEN:  # hidden, never a 0 (suppress_parts hides counts above 0 only)
            return count >= 1
        return count == value

    # Every split of the 6 referrals by status that the row could be showing.
    possible = set()
    for referred in range(7):
        for accepted_only in range(7 - referred):
            for completed in range(7 - referred - accepted_only):
                declined = 6 - referred - accepted_only - completed
                if (fits(row["accepted"], accepted_only + completed)
                        and fits(row["completed"], completed) and fits(row["declined"], declined)):
                    possible.add(declined)
    assert len(possible) > 1, (shown, possible)


def test_the_referred_share_never_gives_a_small_count_of_people_away(app):
    """The evaluation shows the referred share of the people reached; the area page shows the
    people reached exactly. For a period of one whole year, 20% of 10 people says that exactly
    2 people were referred: a count under 5 that no page shows (the referrals are "<5")."""
    club = make_club(city="Hạ Long", province="Quảng Ninh")
    supervisor = make_user(role="supervisor", area="Hạ Long")
    member = make_user(club=club)
    people = [make_case(club=club, created_by=member, consent=("follow", "refer"),
                        created_at=datetime(YEAR, 3, 1, 3)) for _ in range(10)]
    for person in people[:2]:
        make_referral(person, member, referred_on=date(YEAR, 6, 1))
    clubs = reports.area_clubs(supervisor)
    [area_row] = reports.area_report(clubs, YEAR)["rows"]
    assert area_row["cases"] == 10 and area_row["referrals"] == SMALL
    with app.test_request_context(), force_locale("vi"):
        chosen = reports.choose_period(clubs, date(2026, 12, 15), f"{YEAR}-01", f"{YEAR}-12")
        data = reports.pilot_evaluation(clubs, chosen, date(2026, 12, 15))
    share = data["rows"][0]["total"]["share"]
    if isinstance(share, int):
        referred = {k for k in range(area_row["cases"] + 1)
                    if round(100 * k / area_row["cases"]) == share}
        assert not (len(referred) == 1 and 1 <= min(referred) <= 4), (share, referred)
