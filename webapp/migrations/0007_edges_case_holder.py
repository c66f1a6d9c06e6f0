"""Who held each case from when to when (a reassignment never traps what the previous holder recorded).

Each case's current assignee is taken to have held it since the case was registered.
"""
from peewee import DateTimeField, ForeignKeyField, Model


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
        assigned_to = ForeignKeyField(User, null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'case'

    class CaseHolder(Model):
        case = ForeignKeyField(Case, on_delete='CASCADE')
        member = ForeignKeyField(User, on_delete='CASCADE')
        since = DateTimeField()
        until = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = 'case_holder'

    db.create_tables([CaseHolder])
    (CaseHolder
     .insert_from(Case.select(Case.id, Case.assigned_to, Case.created_at)
                  .where(Case.assigned_to.is_null(False)),
                  [CaseHolder.case, CaseHolder.member, CaseHolder.since])
     .execute())


def down(migrator, db):
    db.execute_sql('DROP TABLE "case_holder"')  # a constant: no value is built into it
