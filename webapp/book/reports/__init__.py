"""The club's figures: the counts (figures), yearly targets (targets), the chair's dashboard
(dashboard), the monthly meeting and its writes (monthly), the supervisor's area view (area) and
the supervisor's evaluation of the pilot over its months (evaluation).

Every figure is computed here once, by SQL aggregates (COUNT/SUM grouped by club, member or
code), never by looping in Python over years of rows; the desk pages, the monthly review, the
exports and the supervisors' view all read these functions.

What counts (shown in the dashboard's help text, `DEFINITIONS`):
- Only entries whose `review_status` is "approved" count; entries waiting for review are counted
  apart (`pending_counts`) and never added to a figure.
- A consultation (lượt tư vấn) is one approved visit of any kind — home visit, consultation,
  phone call or group session — on its date; it counts once for the club however many members
  were there. Per member, "visits" are the approved visits the member recorded or was present
  at, and "consultations" those the member recorded (so members' consultations add up to the
  club's).
- A person mobilised (vận động) is one approved attendance row with `brought_by` set, at an
  activity dated in the period; it counts for the member who brought them.
- The cases of the period (people reached) are the approved cases registered in the period or
  with an approved visit, referral or attendance in it. The referred share is the number of
  those with at least one approved referral made in the period, over all of them.
"""
# The package's names, as its callers read them (`reports.club_figures`, `reports.set_targets`).
from .. import vocab
from ...clock import local_today as today_local
from .area import (
    HIDDEN, SMALL, area_clubs, area_report, area_total, exact_sum, suppress, suppress_parts,
)
from .dashboard import dashboard
from .evaluation import MONTH_COLUMNS, choose_period, display, pilot_evaluation, side_by_side
from .evaluation import NOTES as EVALUATION_NOTES
from .figures import (
    DEFINITIONS, REFERRAL_OUTCOMES, REFERRAL_STATUSES,
    SERVICE_KINDS, VISIT_KINDS, Period, cases_by, cases_reached_by_category, club_figures,
    member_figures, monthly_series, overdue_appointments, pending_counts, period_case_ids,
    referrals_by, visits_by_kind,
)
from .glance import QUIET_DAYS, month_at_a_glance, quiet_members
from .monthly import (
    TaskError, assign_task, evaluation_of, monthly, monthly_tasks, next_month, overdue_for_month,
    save_evaluation,
)
from .providers import provider_figures
from .targets import (
    TARGET_DEFAULTS, TARGET_LIMITS, TargetError, months_left, progress, set_targets,
    target_progress, targets_for, validate_targets,
)
from .targets import values_of as target_values

__all__ = [
    "area_clubs", "area_report", "choose_period", "display", "EVALUATION_NOTES", "MONTH_COLUMNS",
    "pilot_evaluation", "side_by_side", "area_total", "assign_task", "cases_by", "exact_sum",
    "month_at_a_glance", "overdue_for_month", "QUIET_DAYS", "quiet_members",
    "cases_reached_by_category", "club_figures", "dashboard", "DEFINITIONS",
    "HIDDEN", "member_figures", "monthly", "monthly_series", "monthly_tasks", "months_left",
    "evaluation_of", "next_month", "overdue_appointments", "pending_counts", "Period", "period_case_ids",
    "progress", "provider_figures", "REFERRAL_OUTCOMES", "REFERRAL_STATUSES", "referrals_by", "save_evaluation",
    "SERVICE_KINDS", "set_targets", "SMALL", "suppress", "suppress_parts", "TARGET_DEFAULTS",
    "TARGET_LIMITS", "target_progress", "target_values", "TargetError", "targets_for", "TaskError", "today_local",
    "validate_targets", "VISIT_KINDS", "visits_by_kind", "vocab",
]
