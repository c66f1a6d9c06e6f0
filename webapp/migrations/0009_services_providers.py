"""Services: the directory of service providers, the provider a referral was sent to, and the
follow-up appointment of a referral left without an outcome."""
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

    class Provider(Model):
        uuid = CharField(unique=True, max_length=36)
        club = ForeignKeyField(Club, null=True, on_delete='CASCADE')
        area = CharField(max_length=120, default='', index=True)
        name = CharField(max_length=200)
        service_kinds = TextField(default='[]')
        address = CharField(max_length=200, default='')
        phone = CharField(max_length=40, default='')
        hours = CharField(max_length=200, default='')
        notes = TextField(default='')
        is_active = BooleanField(default=True)
        created_by = ForeignKeyField(User, on_delete='RESTRICT')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'provider'
    db.create_tables([Provider])

    class Referral(Model):
        class Meta:
            database = db
            table_name = 'referral'
    migrator.migrate(
        migrator.add_column('referral', 'listed_provider_id',
                            ForeignKeyField(Provider, null=True, field=Provider.id,
                                            on_delete='SET NULL')),
        migrator.add_column('appointment', 'source_referral_id',
                            ForeignKeyField(Referral, null=True, field=Referral.id,
                                            on_delete='CASCADE')))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('appointment', 'source_referral_id'),
                     migrator.drop_column('referral', 'listed_provider_id'))
    db.execute_sql('DROP TABLE provider')
