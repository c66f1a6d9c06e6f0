"""Appointments: why and when one was last moved to another date."""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('appointment', 'rescheduled_reason', TextField(default='')),
        migrator.add_column('appointment', 'rescheduled_at', DateTimeField(null=True)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('appointment', 'rescheduled_reason'),
        migrator.drop_column('appointment', 'rescheduled_at'),
    )
