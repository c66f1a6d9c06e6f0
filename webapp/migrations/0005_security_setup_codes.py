"""One-time setup codes for accounts, and the account events a club's board sees."""
from peewee import *


def up(migrator, db):
    class Club(Model):
        class Meta:
            database = db
            table_name = 'club'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class SetupCode(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        code_hash = CharField(unique=True, max_length=64)
        purpose = CharField(max_length=16)
        role = CharField(max_length=16, null=True)
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        expires_at = DateTimeField()
        used_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'setup_code'

    class AccountEvent(Model):
        club = ForeignKeyField(Club, on_delete='CASCADE')
        user = ForeignKeyField(User, on_delete='CASCADE')
        purpose = CharField(max_length=16)
        role = CharField(max_length=16, null=True)
        by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        by_role = CharField(max_length=16, default='')
        at = DateTimeField()
        acknowledged_at = DateTimeField(null=True)
        acknowledged_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        holder_told_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'account_event'

    db.create_tables([SetupCode, AccountEvent])


def down(migrator, db):
    db.execute_sql('DROP TABLE account_event')
    db.execute_sql('DROP TABLE setup_code')
