"""The first schema: clubs, accounts and the whole club book."""
from peewee import *


def up(migrator, db):
    class Club(Model):
        name = CharField(unique=True, max_length=120)
        ward = CharField(max_length=120, default='')
        city = CharField(max_length=120, default='')
        province = CharField(max_length=120, default='')
        code_prefix = CharField(max_length=8)
        is_active = BooleanField(default=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'club'
    db.create_tables([Club])

    class User(Model):
        login = CharField(unique=True, max_length=64)
        phone = CharField(unique=True, null=True, max_length=20)
        full_name = CharField(max_length=120, default='')
        password_hash = CharField()
        role = CharField(max_length=16)
        club = ForeignKeyField(Club, null=True, on_delete='RESTRICT')
        area = CharField(max_length=120, default='')
        is_active = BooleanField(default=True)
        must_change_password = BooleanField(default=False)
        locale = CharField(null=True, max_length=8)
        device_key = BlobField(null=True)
        reminder_hour = IntegerField(default=7)
        created_at = DateTimeField()
        last_login_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'user'
    db.create_tables([User])

    class Activity(Model):
        uuid = CharField(unique=True, max_length=36)
        revision = IntegerField(default=1)
        review_status = CharField(index=True, max_length=16, default='submitted')
        created_by = ForeignKeyField(User, field=User.id, on_delete='RESTRICT')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        client_created_at = DateTimeField(null=True)
        club = ForeignKeyField(Club, on_delete='RESTRICT')
        kind = CharField(max_length=24)
        date = DateField()
        place = CharField(max_length=200, default='')
        title = CharField(max_length=200)
        attendee_count = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'activity'
    db.create_tables([Activity])

    class Case(Model):
        uuid = CharField(unique=True, max_length=36)
        revision = IntegerField(default=1)
        review_status = CharField(index=True, max_length=16, default='submitted')
        created_by = ForeignKeyField(User, field=User.id, on_delete='RESTRICT')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        client_created_at = DateTimeField(null=True)
        club = ForeignKeyField(Club, on_delete='RESTRICT')
        code = CharField(null=True, max_length=24)
        full_name = CharField(max_length=120, default='')
        sex = CharField(max_length=8, default='')
        birth_year = IntegerField(null=True)
        address = CharField(max_length=200, default='')
        neighbourhood = CharField(max_length=120, default='')
        phone = CharField(max_length=20, default='')
        risk_level = CharField(max_length=8, default='low')
        met_how = TextField(default='')
        status = CharField(max_length=16, default='active')
        closed_reason = TextField(default='')
        assigned_to = ForeignKeyField(User, null=True, on_delete='SET NULL')
        erased_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'case'
            indexes = ((('club', 'code'), True),)
    db.create_tables([Case])

    class Visit(Model):
        uuid = CharField(unique=True, max_length=36)
        revision = IntegerField(default=1)
        review_status = CharField(index=True, max_length=16, default='submitted')
        created_by = ForeignKeyField(User, field=User.id, on_delete='RESTRICT')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        client_created_at = DateTimeField(null=True)
        club = ForeignKeyField(Club, on_delete='RESTRICT')
        case = ForeignKeyField(Case, on_delete='CASCADE')
        date = DateField()
        kind = CharField(max_length=24)
        topics = TextField(default=list)
        notes = TextField(default='')
        needs = TextField(default=list)
        follow_up_date = DateField(null=True)
        class Meta:
            database = db
            table_name = 'visit'
    db.create_tables([Visit])

    class Appointment(Model):
        club = ForeignKeyField(Club, on_delete='RESTRICT')
        case = ForeignKeyField(Case, on_delete='CASCADE')
        member = ForeignKeyField(User, on_delete='RESTRICT')
        due_date = DateField(index=True)
        note = TextField(default='')
        source = CharField(max_length=16, default='assigned')
        source_visit = ForeignKeyField(Visit, null=True, on_delete='SET NULL')
        status = CharField(max_length=16, default='open')
        done_visit = ForeignKeyField(Visit, null=True, on_delete='SET NULL')
        cancelled_reason = TextField(default='')
        created_by = ForeignKeyField(User, on_delete='RESTRICT')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'appointment'
    db.create_tables([Appointment])

    class Attendance(Model):
        uuid = CharField(unique=True, max_length=36)
        revision = IntegerField(default=1)
        review_status = CharField(index=True, max_length=16, default='submitted')
        created_by = ForeignKeyField(User, field=User.id, on_delete='RESTRICT')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        client_created_at = DateTimeField(null=True)
        club = ForeignKeyField(Club, on_delete='RESTRICT')
        activity = ForeignKeyField(Activity, on_delete='CASCADE')
        case = ForeignKeyField(Case, on_delete='CASCADE')
        brought_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        class Meta:
            database = db
            table_name = 'attendance'
            indexes = ((('activity', 'case'), True),)
    db.create_tables([Attendance])

    class AuditLog(Model):
        at = DateTimeField(index=True)
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        club = ForeignKeyField(Club, null=True, on_delete='SET NULL')
        action = CharField(max_length=48)
        object_type = CharField(max_length=24, default='')
        object_id = IntegerField(null=True)
        details = TextField(null=True)
        class Meta:
            database = db
            table_name = 'audit_log'
    db.create_tables([AuditLog])

    class CaseCategory(Model):
        case = ForeignKeyField(Case, on_delete='CASCADE')
        category = CharField(max_length=24)
        class Meta:
            database = db
            table_name = 'case_category'
            indexes = ((('case', 'category'), True),)
    db.create_tables([CaseCategory])

    class Consent(Model):
        case = ForeignKeyField(Case, on_delete='CASCADE')
        purpose = CharField(max_length=16)
        given = BooleanField(default=True)
        recorded_at = DateTimeField()
        recorded_by = ForeignKeyField(User, on_delete='RESTRICT')
        withdrawn_at = DateTimeField(null=True)
        withdrawn_by = ForeignKeyField(User, null=True, on_delete='RESTRICT')
        class Meta:
            database = db
            table_name = 'consent'
    db.create_tables([Consent])

    class EntryRevision(Model):
        entry_type = CharField(max_length=16)
        uuid = CharField(max_length=36)
        revision = IntegerField()
        data = TextField()
        submitted_by = ForeignKeyField(User, on_delete='RESTRICT')
        submitted_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'entry_revision'
            indexes = ((('uuid', 'revision'), True),)
    db.create_tables([EntryRevision])

    class LoginAttempt(Model):
        key = CharField(index=True, max_length=64)
        at = DateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'login_attempt'
    db.create_tables([LoginAttempt])

    class LoginSession(Model):
        token_hash = CharField(unique=True, max_length=64)
        user = ForeignKeyField(User, on_delete='CASCADE')
        created_at = DateTimeField()
        last_seen_at = DateTimeField()
        ended_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'login_session'
    db.create_tables([LoginSession])

    class MonthlyReview(Model):
        club = ForeignKeyField(Club, on_delete='CASCADE')
        year = IntegerField()
        month = IntegerField()
        evaluation = TextField(default='')
        updated_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'monthly_review'
            indexes = ((('club', 'year', 'month'), True),)
    db.create_tables([MonthlyReview])

    class PushDelivery(Model):
        key = CharField(unique=True, max_length=120)
        user = ForeignKeyField(User, on_delete='CASCADE')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'push_delivery'
    db.create_tables([PushDelivery])

    class PushSubscription(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        endpoint = TextField(unique=True)
        p256dh = CharField(max_length=200)
        auth = CharField(max_length=64)
        device_label = CharField(max_length=120, default='')
        created_at = DateTimeField()
        last_success_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'push_subscription'
    db.create_tables([PushSubscription])

    class Referral(Model):
        uuid = CharField(unique=True, max_length=36)
        revision = IntegerField(default=1)
        review_status = CharField(index=True, max_length=16, default='submitted')
        created_by = ForeignKeyField(User, field=User.id, on_delete='RESTRICT')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        client_created_at = DateTimeField(null=True)
        club = ForeignKeyField(Club, on_delete='RESTRICT')
        case = ForeignKeyField(Case, on_delete='CASCADE')
        service_kind = CharField(max_length=32)
        provider = CharField(max_length=200, default='')
        referred_on = DateField()
        reason = TextField(default='')
        status = CharField(max_length=16, default='referred')
        outcome = TextField(default='')
        status_changed_on = DateField(null=True)
        class Meta:
            database = db
            table_name = 'referral'
    db.create_tables([Referral])

    class Review(Model):
        club = ForeignKeyField(Club, on_delete='RESTRICT')
        entry_type = CharField(max_length=16)
        entry_uuid = CharField(index=True, max_length=36)
        revision = IntegerField()
        decision = CharField(max_length=16)
        reason = TextField(default='')
        decided_by = ForeignKeyField(User, on_delete='RESTRICT')
        decided_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'review'
    db.create_tables([Review])

    class SyncConflict(Model):
        entry_type = CharField(max_length=16)
        uuid = CharField(index=True, max_length=36)
        revision = IntegerField()
        base_revision = IntegerField(null=True)
        data = TextField()
        user = ForeignKeyField(User, on_delete='CASCADE')
        received_at = DateTimeField()
        resolved_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'sync_conflict'
    db.create_tables([SyncConflict])

    class Target(Model):
        club = ForeignKeyField(Club, on_delete='CASCADE')
        year = IntegerField()
        consultations = IntegerField(default=120)
        mobilised_per_member = IntegerField(default=2)
        referred_percent = IntegerField(default=50)
        class Meta:
            database = db
            table_name = 'target'
            indexes = ((('club', 'year'), True),)
    db.create_tables([Target])

    class VisitMember(Model):
        visit = ForeignKeyField(Visit, on_delete='CASCADE')
        user = ForeignKeyField(User, on_delete='RESTRICT')
        class Meta:
            database = db
            table_name = 'visit_member'
            indexes = ((('visit', 'user'), True),)
    db.create_tables([VisitMember])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('visit_member'))
    migrator.migrate(migrator.drop_table('target'))
    migrator.migrate(migrator.drop_table('sync_conflict'))
    migrator.migrate(migrator.drop_table('review'))
    migrator.migrate(migrator.drop_table('referral'))
    migrator.migrate(migrator.drop_table('push_subscription'))
    migrator.migrate(migrator.drop_table('push_delivery'))
    migrator.migrate(migrator.drop_table('monthly_review'))
    migrator.migrate(migrator.drop_table('login_session'))
    migrator.migrate(migrator.drop_table('login_attempt'))
    migrator.migrate(migrator.drop_table('entry_revision'))
    migrator.migrate(migrator.drop_table('consent'))
    migrator.migrate(migrator.drop_table('case_category'))
    migrator.migrate(migrator.drop_table('audit_log'))
    migrator.migrate(migrator.drop_table('attendance'))
    migrator.migrate(migrator.drop_table('appointment'))
    migrator.migrate(migrator.drop_table('visit'))
    migrator.migrate(migrator.drop_table('case'))
    migrator.migrate(migrator.drop_table('activity'))
    migrator.migrate(migrator.drop_table('user'))
    migrator.migrate(migrator.drop_table('club'))
