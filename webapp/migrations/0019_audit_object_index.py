"""An index on the record each audit line is about (object_type, object_id), its lines in the
order they were written (id): who last saved a record (audit.last_by, for the page that says
another saved it first) is read from that record's newest lines, not by reading the whole log,
the largest table."""

INDEX = 'audit_log_object_type_object_id_id'  # the name add_index gives it


def up(migrator, db):
    migrator.migrate(migrator.add_index('audit_log', ('object_type', 'object_id', 'id'), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('audit_log', INDEX))
