"""Login throttling: an address's failures name the (keyed hash of the) login tried, so that the
address is slowed by the number of accounts tried, not by one account's failures."""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('login_attempt', 'subject', CharField(max_length=64, default='')),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('login_attempt', 'subject'),
    )
