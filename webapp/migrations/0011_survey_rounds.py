"""The ward's survey: rounds, the areas assigned to members, screenings, and the screening a case
was registered from."""
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

    class Case(Model):
        class Meta:
            database = db
            table_name = 'case'

    class SurveyRound(Model):
        uuid = CharField(unique=True, max_length=36)
        club = ForeignKeyField(Club, on_delete='CASCADE')
        name = CharField(max_length=200)
        starts_on = DateField()
        ends_on = DateField()
        areas = TextField(default='[]')
        closed_at = DateTimeField(null=True)
        created_by = ForeignKeyField(User, on_delete='RESTRICT')
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'survey_round'

    class SurveyAssignment(Model):
        round = ForeignKeyField(SurveyRound, on_delete='CASCADE')
        area = CharField(max_length=120)
        member = ForeignKeyField(User, on_delete='CASCADE')

        class Meta:
            database = db
            table_name = 'survey_assignment'
            indexes = ((('round', 'area'), True),)

    class Screening(Model):
        uuid = CharField(unique=True, max_length=36)
        revision = IntegerField(default=1)
        review_status = CharField(max_length=16, default='submitted', index=True)
        created_by = ForeignKeyField(User, on_delete='RESTRICT')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        client_created_at = DateTimeField(null=True)
        amendment_revision = IntegerField(null=True)
        amendment_status = CharField(max_length=16, null=True)
        club = ForeignKeyField(Club, on_delete='RESTRICT')
        round = ForeignKeyField(SurveyRound, on_delete='RESTRICT')
        area = CharField(max_length=120)
        screened_on = DateField()
        category = CharField(max_length=24)
        indicators = TextField(default='[]')
        suggested_level = CharField(max_length=8)
        risk_level = CharField(max_length=8)
        counselled = BooleanField(default=False)
        topics = TextField(default='[]')
        notes = TextField(default='')
        registered_case = ForeignKeyField(Case, null=True, on_delete='SET NULL')

        class Meta:
            database = db
            table_name = 'screening'

    db.create_tables([SurveyRound, SurveyAssignment, Screening])
    migrator.migrate(
        migrator.add_column('case', 'screening_uuid', CharField(max_length=36, null=True)),
        migrator.add_index('case', ('screening_uuid',), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('case', 'case_screening_uuid'),
                     migrator.drop_column('case', 'screening_uuid'))
    db.execute_sql('DROP TABLE screening')
    db.execute_sql('DROP TABLE survey_assignment')
    db.execute_sql('DROP TABLE survey_round')
