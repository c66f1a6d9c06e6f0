"""What waits on each member's phone (a count and when it last synced), and the one session a
deactivated member may open to hand it in."""
from peewee import BooleanField, DateTimeField, IntegerField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('user', 'last_sync_at', DateTimeField(null=True)),
        migrator.add_column('user', 'waiting_count', IntegerField(null=True)),
        migrator.add_column('user', 'handed_in_at', DateTimeField(null=True)),
        migrator.add_column('login_session', 'hand_in_only', BooleanField(default=False)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('user', 'last_sync_at'),
        migrator.drop_column('user', 'waiting_count'),
        migrator.drop_column('user', 'handed_in_at'),
        migrator.drop_column('login_session', 'hand_in_only'),
    )
