"""Proposals refused as an activity the club's book already had: each proposal's uuid and the
activity it stands for, so attendance recorded at the proposal and sent after it was refused (and
discarded on the phone, as its reason says) goes to that activity instead of being refused."""
from peewee import CharField, DateTimeField, ForeignKeyField, Model


def up(migrator, db):
    class Activity(Model):
        class Meta:
            database = db
            table_name = 'activity'

    class SameActivity(Model):
        uuid = CharField(unique=True, max_length=36)
        activity = ForeignKeyField(Activity, on_delete='CASCADE')
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'same_activity'

    db.create_tables([SameActivity])


def down(migrator, db):
    db.execute_sql('DROP TABLE "same_activity"')  # a constant: no value is built into it
