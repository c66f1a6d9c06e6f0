"""One follow-up appointment per referral: a unique index on appointment.source_referral_id, so
that two reminder senders running at once (a worker's thread and cron) cannot both make one.

Referrals that already have more than one keep one: the one a visit made (done), else an open
one, else the first. The others stay as they are, for the agenda's history and its counts, but
no longer name the referral, and those still open are cancelled (the member had the same visit
twice on the agenda)."""
from datetime import datetime, timezone

from peewee import CharField, DateTimeField, IntegerField, Model, TextField, fn

INDEX = 'appointment_source_referral_id'  # made by 0009 (add_column), not unique then
RANK = {'done': 0, 'open': 1}  # which one a referral keeps: done, else open, else the first


def up(migrator, db):
    class Appointment(Model):
        source_referral = IntegerField(null=True, column_name='source_referral_id')
        status = CharField(max_length=16)
        cancelled_reason = TextField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'appointment'

    twice = (Appointment.select(Appointment.source_referral)
             .where(Appointment.source_referral.is_null(False))
             .group_by(Appointment.source_referral)
             .having(fn.COUNT(Appointment.id) > 1))
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    for (referral_id,) in twice.tuples():
        rows = sorted(Appointment.select().where(Appointment.source_referral == referral_id),
                      key=lambda a: (RANK.get(a.status, 2), a.id))
        for extra in rows[1:]:
            extra.source_referral = None
            if extra.status == 'open':
                extra.status, extra.cancelled_reason = 'cancelled', 'duplicate referral follow-up'
            extra.updated_at = now
            extra.save()
    migrator.migrate(migrator.drop_index('appointment', INDEX),
                     migrator.add_index('appointment', ('source_referral_id',), True))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('appointment', INDEX),
                     migrator.add_index('appointment', ('source_referral_id',), False))
