"""The directory of service providers (nơi tiếp nhận): the area's, kept by its supervisor and seen
by every club of the area, and each club's own, kept by its board. How the referrals sent to each
went is a report (reports/providers.py)."""
from flask_babel import lazy_gettext as _l

from .. import audit
from ..db import database, locked, utcnow
from ..invalid import Invalid
from ..models import Provider
from ..permissions import CHAIR, FIELD, SUPERVISOR
from . import fields, overtaken

FIELDS = tuple(f.name for f in fields.PROVIDER)


def _nothing():
    return Provider.select().where(Provider.id.is_null())


def club_areas(club):
    """The areas (city, province) a club belongs to: whose directories it sees."""
    return [a for a in (club.city, club.province) if a]


def visible(user, removed=False):
    """The providers `user` may read, as a query: a club's own and its areas' for its members and
    board, the area's own for a supervisor; nothing for anyone else. With `removed`: those of
    the same directories taken out of them."""
    active = ~Provider.is_active if removed else Provider.is_active
    if user.role in FIELD and user.club_id is not None:
        return (Provider.select()
                .where(active
                       & ((Provider.club == user.club_id)
                          | (Provider.club.is_null() & Provider.area.in_(club_areas(user.club)))))
                .order_by(Provider.name))
    area = (user.area or "").strip()
    if user.role == SUPERVISOR and area:
        return (Provider.select()
                .where(active & Provider.club.is_null() & (Provider.area == area))
                .order_by(Provider.name))
    return _nothing()


def may_keep(user, provider):
    """True if `user` keeps this provider's entry: the club's board its own, the supervisor the
    area's."""
    if user.role == CHAIR:
        return provider.club_id is not None and provider.club_id == user.club_id
    if user.role == SUPERVISOR:
        return provider.club_id is None and provider.area == (user.area or "").strip() != ""
    return False


def find(user, provider_id, keep=False):
    """The provider with this id if `user` may read it (and keep it, with `keep`), else None."""
    provider = visible(user).where(Provider.id == provider_id).first()
    if provider is None or (keep and not may_keep(user, provider)):
        return None
    return provider


def by_uuid(user, uuid, removed=False):
    """The provider with this uuid in `user`'s directory (with `removed`: taken out of it since),
    else None."""
    if not uuid:
        return None
    return visible(user, removed).where(Provider.uuid == uuid).first()


def values_of(provider):
    """What the provider's form shows and saves (its mark: overtaken.mark)."""
    return {name: getattr(provider, name) for name in FIELDS}


def shown(values):
    """A provider's values as the board reads them: (label, text) a field."""
    return [(f.label, f.show(values[f.name], None)) for f in fields.PROVIDER]


def save(values, by, provider=None, uuid=None, seen=None):
    """Add a provider to the directory `by` keeps (their club's, or their area's), under `uuid`
    (its desk form's: the form sent again is the same provider), or change one.

    `seen`: the mark of what the change's form was opened on. If another saved the provider since,
    nothing is written: overtaken.Overtaken (the same change sent again is not overtaken)."""
    if by.role not in (CHAIR, SUPERVISOR) or (by.role == SUPERVISOR and not (by.area or "").strip()):
        raise Invalid({"name": _l("You keep no directory of providers.")})
    typed = {name: values[name] for name in FIELDS}
    with database.atomic():
        if provider is not None:
            provider = locked(provider)
            overtaken.check(seen, values_of(provider), typed,
                            by=lambda: audit.last_by(provider, "provider_saved"))
        elif uuid:
            provider = Provider.get_or_none(Provider.uuid == uuid)
            if provider is not None and not may_keep(by, provider):
                raise Invalid({"name": _l("You keep no directory of providers.")})
        if provider is not None and values_of(provider) == typed:
            return provider  # sent again as it was: nothing to write
        if provider is None:
            provider = (Provider(club=by.club_id, created_by=by) if by.role == CHAIR
                        else Provider(area=by.area.strip(), created_by=by))
            if uuid:
                provider.uuid = uuid
        for name in FIELDS:
            setattr(provider, name, values[name])
        provider.updated_at = utcnow()
        provider.save()
        audit.record("provider_saved", provider, user=by, scope="club" if provider.club_id else "area")
    return provider


def remove(provider, by):
    """Take a provider out of the directory; the referrals sent there keep its name."""
    with database.atomic():
        provider.is_active = False
        provider.updated_at = utcnow()
        provider.save()
        audit.record("provider_removed", provider, user=by, scope="club" if provider.club_id else "area")


def add_from_referral(referral, by):
    """Add the provider typed on a referral to the club's directory, and link the referral to it.

    A provider of the directory with the same name (ignoring case) is linked instead of a twin.
    """
    name = (referral.provider or "").strip()
    if referral.listed_provider_id is not None or not name:
        raise Invalid({"provider": _l("This referral already names a provider of the directory.")})
    with database.atomic():
        provider = next((p for p in visible(by) if p.name.strip().lower() == name.lower()), None)
        if provider is None:
            provider = save({"name": name, "service_kinds": [referral.service_kind], "address": "",
                             "phone": "", "hours": "", "notes": ""}, by)
        referral.listed_provider = provider
        referral.save()
        audit.record("referral_provider_listed", referral, user=by, case_id=referral.case_id,
                     provider_id=provider.id)
    return provider


def for_working_set(user):
    """The providers a member may pick on the phone, offline, and call."""
    return [{"uuid": p.uuid, "name": p.name, "service_kinds": p.service_kinds,
             "address": p.address, "phone": p.phone, "hours": p.hours, "notes": p.notes,
             "scope": "club" if p.club_id else "area"} for p in visible(user)]
