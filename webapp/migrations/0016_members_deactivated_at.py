"""When each account was deactivated: a member named in an entry (present at a visit, who brought
someone) may have left the club after the entry was made, but no one is named in an entry made
after they left (User.active_at).

An account deactivated before this migration takes the time its deactivation was logged (the
latest `account_deactivated` line of the audit log), or, if none was, the time of the upgrade:
what was recorded before it keeps naming them."""
from datetime import datetime, timezone

from peewee import BooleanField, CharField, DateTimeField, IntegerField, Model, fn


def up(migrator, db):
    migrator.migrate(migrator.add_column('user', 'deactivated_at', DateTimeField(null=True)))

    class User(Model):
        is_active = BooleanField()
        deactivated_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = 'user'

    class AuditLog(Model):
        at = DateTimeField()
        action = CharField(max_length=48)
        object_type = CharField(max_length=24)
        object_id = IntegerField(null=True)

        class Meta:
            database = db
            table_name = 'audit_log'

    logged = dict(AuditLog.select(AuditLog.object_id, fn.MAX(AuditLog.at))
                  .where((AuditLog.action == 'account_deactivated')
                         & (AuditLog.object_type == 'user'))
                  .group_by(AuditLog.object_id)
                  .tuples())
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    for user in User.select(User.id).where(User.is_active == False):  # noqa: E712
        (User.update(deactivated_at=logged.get(user.id) or now)
         .where(User.id == user.id).execute())


def down(migrator, db):
    migrator.migrate(migrator.drop_column('user', 'deactivated_at'))
