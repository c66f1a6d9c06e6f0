"""A board member's term on the board ends when their account is deactivated (accounts.set_active):
what their phone records after that is recorded on no board. A board member deactivated before
this migration had their term left open: it ends at their deactivation (User.deactivated_at,
migration 0016)."""
from peewee import BooleanField, DateTimeField, ForeignKeyField, Model


def up(migrator, db):
    class User(Model):
        is_active = BooleanField()
        deactivated_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = 'user'

    class BoardTerm(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        since = DateTimeField()
        until = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = 'board_term'

    open_terms = (BoardTerm.select(BoardTerm.id, User.deactivated_at)
                  .join(User, on=(BoardTerm.user == User.id))
                  .where(BoardTerm.until.is_null() & (User.is_active == False)  # noqa: E712
                         & User.deactivated_at.is_null(False))
                  .tuples())
    for term_id, deactivated_at in list(open_terms):
        BoardTerm.update(until=deactivated_at).where(BoardTerm.id == term_id).execute()


def down(migrator, db):
    pass  # a term ended at a deactivation is what it was: nothing to undo
