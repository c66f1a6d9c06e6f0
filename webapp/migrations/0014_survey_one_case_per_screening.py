"""One case per person met in a screening: a unique index on case (screening_uuid, club_id), so
that two phones registering the same screening at the same moment cannot both make a case (the
second is answered as a duplicate of the first, as when it comes later).

Screenings that were already registered as more than one case keep one as theirs: the case the
screening names (its registered_case), else the first registered. The others stay whole — the
person's record, visits, referrals, attendance — but no longer name the screening; each gets an
audit line naming the screening and the case kept, so the board can tell the person has two
records."""
import json
from datetime import datetime, timezone

from peewee import CharField, DateTimeField, IntegerField, Model, TextField, fn

INDEX = 'case_screening_uuid'  # made by 0011 (add_index), not unique then


def up(migrator, db):
    class Case(Model):
        club = IntegerField(column_name='club_id')
        code = CharField(max_length=24, null=True)
        screening_uuid = CharField(max_length=36, null=True)
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'case'

    class Screening(Model):
        uuid = CharField(max_length=36)
        registered_case = IntegerField(null=True, column_name='registered_case_id')

        class Meta:
            database = db
            table_name = 'screening'

    class AuditLog(Model):
        at = DateTimeField()
        club = IntegerField(null=True, column_name='club_id')
        action = CharField(max_length=48)
        object_type = CharField(max_length=24)
        object_id = IntegerField(null=True)
        details = TextField(null=True)

        class Meta:
            database = db
            table_name = 'audit_log'

    twice = (Case.select(Case.screening_uuid, Case.club)
             .where(Case.screening_uuid.is_null(False))
             .group_by(Case.screening_uuid, Case.club)
             .having(fn.COUNT(Case.id) > 1))
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    for screening_uuid, club_id in twice.tuples():
        named = {s.registered_case
                 for s in Screening.select().where(Screening.uuid == screening_uuid)}
        rows = sorted(Case.select().where((Case.screening_uuid == screening_uuid)
                                          & (Case.club == club_id)),
                      key=lambda c: (c.id not in named, c.id))
        kept = rows[0]
        for extra in rows[1:]:
            extra.screening_uuid, extra.updated_at = None, now
            extra.save()
            details = {'screening_uuid': screening_uuid, 'code': extra.code,
                       'kept_case_id': kept.id, 'kept_code': kept.code}
            AuditLog.create(at=now, club=club_id, action='case_screening_unlinked',
                            object_type='case', object_id=extra.id,
                            details=json.dumps(details, sort_keys=True))
    migrator.migrate(migrator.drop_index('case', INDEX),
                     migrator.add_index('case', ('screening_uuid', 'club_id'), True))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('case', 'case_screening_uuid_club_id'),
                     migrator.add_index('case', ('screening_uuid',), False))
