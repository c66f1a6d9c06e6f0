"""Working-set cursors: what each bootstrap answer left on a phone, so the next one sends a delta."""
from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class WorkingSetCursor(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        token = CharField(unique=True, max_length=32)
        digests = TextField()
        created_at = DateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'working_set_cursor'
    db.create_tables([WorkingSetCursor])


def down(migrator, db):
    db.execute_sql('DROP TABLE working_set_cursor')
