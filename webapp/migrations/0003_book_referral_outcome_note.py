"""The book: a referral's outcome as a code (referral_outcome) with a free note beside it."""
from peewee import TextField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('referral', 'outcome_note', TextField(default='')))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('referral', 'outcome_note'))
