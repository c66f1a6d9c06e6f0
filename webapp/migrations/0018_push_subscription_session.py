"""A push subscription is sent to only while the login session that registered it lasts: on a
shared phone, a member's reminders stop when their session there ends without a logout. A
subscription kept before this migration is bound to its user's session seen last, the best guess
of the phone it was made on; one whose user has no session left is bound to none, and sent
nothing until its member turns notifications on again."""
from peewee import ForeignKeyField, Model


def up(migrator, db):
    class LoginSession(Model):
        class Meta:
            database = db
            table_name = 'login_session'

    migrator.migrate(
        migrator.add_column('push_subscription', 'login_session_id',
                            ForeignKeyField(LoginSession, field=LoginSession.id, null=True,
                                            on_delete='SET NULL')),
    )
    db.execute_sql(
        'UPDATE push_subscription SET login_session_id = (SELECT s.id FROM login_session s '
        'WHERE s.user_id = push_subscription.user_id AND s.ended_at IS NULL '
        'ORDER BY s.last_seen_at DESC, s.id DESC LIMIT 1)')


def down(migrator, db):
    migrator.migrate(migrator.drop_column('push_subscription', 'login_session_id'))
