"""Sync conflicts: their club, and how the board resolved each (merged into a revision, dismissed)."""
from peewee import CharField, ForeignKeyField, IntegerField, Model, TextField


def up(migrator, db):
    class Club(Model):
        class Meta:
            database = db
            table_name = 'club'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    migrator.migrate(
        migrator.add_column('sync_conflict', 'club_id',
                            ForeignKeyField(Club, field=Club.id, null=True, on_delete='CASCADE')),
        migrator.add_column('sync_conflict', 'resolved_by_id',
                            ForeignKeyField(User, field=User.id, null=True, on_delete='SET NULL')),
        migrator.add_column('sync_conflict', 'resolution', CharField(max_length=16, null=True)),
        migrator.add_column('sync_conflict', 'resolved_revision', IntegerField(null=True)),
        migrator.add_column('sync_conflict', 'reason', TextField(default='')),
    )
    # A conflict kept before this migration belongs to the club of the member who sent it.
    db.execute_sql('UPDATE sync_conflict SET club_id = (SELECT "user".club_id FROM "user" '
                   'WHERE "user".id = sync_conflict.user_id)')


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('sync_conflict', 'club_id'),
        migrator.drop_column('sync_conflict', 'resolved_by_id'),
        migrator.drop_column('sync_conflict', 'resolution'),
        migrator.drop_column('sync_conflict', 'resolved_revision'),
        migrator.drop_column('sync_conflict', 'reason'),
    )
