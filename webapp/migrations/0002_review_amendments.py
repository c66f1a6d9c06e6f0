"""Review: an approved entry's pending amendment (its revision and whether it was returned)."""
from peewee import CharField, IntegerField

ENTRY_TABLES = ("case", "visit", "referral", "activity", "attendance")


def up(migrator, db):
    operations = []
    for table in ENTRY_TABLES:
        operations.append(migrator.add_column(table, "amendment_revision", IntegerField(null=True)))
        operations.append(migrator.add_column(table, "amendment_status",
                                              CharField(max_length=16, null=True)))
    migrator.migrate(*operations)


def down(migrator, db):
    operations = []
    for table in ENTRY_TABLES:
        operations.append(migrator.drop_column(table, "amendment_revision"))
        operations.append(migrator.drop_column(table, "amendment_status"))
    migrator.migrate(*operations)
