"""Who sat on each club's board from when to when (a member who steps down can still hand in
what they recorded while on it). Each chair now is taken to have sat on it since their account
was made."""
from peewee import CharField, DateTimeField, ForeignKeyField, Model


def up(migrator, db):
    class Club(Model):
        class Meta:
            database = db
            table_name = 'club'

    class User(Model):
        club = ForeignKeyField(Club, null=True)
        role = CharField(max_length=16)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'user'

    class BoardTerm(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        club = ForeignKeyField(Club, on_delete='CASCADE')
        since = DateTimeField()
        until = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = 'board_term'

    db.create_tables([BoardTerm])
    (BoardTerm
     .insert_from(User.select(User.id, User.club, User.created_at)
                  .where((User.role == 'chair') & User.club.is_null(False)),
                  [BoardTerm.user, BoardTerm.club, BoardTerm.since])
     .execute())


def down(migrator, db):
    db.execute_sql('DROP TABLE "board_term"')  # a constant: no value is built into it
