"""Per provider of a user's directory: how the referrals sent there went."""
from statistics import median

from ...models import Referral
from ...permissions import FIELD, SUPERVISOR
from ..providers import visible
from ..vocab import APPROVED
from .area import area_clubs, shown_sum, suppress, suppress_parts


def _figures(referrals):
    days = [(r.status_changed_on - r.referred_on).days for r in referrals
            if r.status in ("completed", "declined") and r.status_changed_on is not None]
    return {
        "sent": len(referrals),
        "referred": sum(r.status == "referred" for r in referrals),
        "accepted": sum(r.status in ("accepted", "completed") for r in referrals),
        "completed": sum(r.status == "completed" for r in referrals),
        "declined": sum(r.status == "declined" for r in referrals),
        "median_days": median(days) if days else None,
    }


def _approved_referrals(providers, club_ids):
    by_provider = {p.id: [] for p in providers}
    if not by_provider or not club_ids:
        return by_provider
    query = (Referral.select(Referral.listed_provider, Referral.status, Referral.referred_on,
                             Referral.status_changed_on)
             .where(Referral.listed_provider.in_(list(by_provider))
                    & Referral.club.in_(club_ids)
                    & (Referral.review_status == APPROVED)))
    for referral in query:
        by_provider[referral.listed_provider_id].append(referral)
    return by_provider


def provider_figures(user):
    """Per provider of `user`'s directory: referrals sent, accepted, completed, declined and the
    median days from referral to outcome. The board sees its club's referrals; a supervisor those
    of the area's clubs, counts only, small ones suppressed."""
    providers = list(visible(user))
    if user.role == SUPERVISOR:
        club_ids = [c.id for c in area_clubs(user)]
    elif user.role in FIELD and user.club_id is not None:
        club_ids = [user.club_id]
    else:
        club_ids = []
    sent = _approved_referrals(providers, club_ids)
    rows = []
    for provider in providers:
        row = _figures(sent[provider.id])
        referred = row.pop("referred")
        if user.role == SUPERVISOR:
            # The statuses (referred, accepted only, completed, declined) are parts of sent, each
            # referral in one: suppressed together, so that none hidden can be worked out from
            # sent and the others. "Accepted" (accepted or completed) is the sum of two of them,
            # shown as exact only where both are (else it would give a hidden one away).
            _referred, accepted, completed, declined = suppress_parts(
                [referred, row["accepted"] - row["completed"], row["completed"], row["declined"]],
                row["sent"])
            row = {"sent": suppress(row["sent"]), "accepted": shown_sum([accepted, completed]),
                   "completed": completed, "declined": declined}
        rows.append({"provider": provider, **row})
    return rows

