"""The clubs' clock: the book's dates are local dates in Hạ Long (Asia/Ho_Chi_Minh), while
timestamps are stored in naive UTC (db.utcnow)."""
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def local_now(now=None):
    """`now` (aware, or naive UTC; default: the clock) in Asia/Ho_Chi_Minh."""
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    return now.astimezone(LOCAL_TZ)


def local_today(now=None):
    """Today where the clubs are (or the local date of `now`)."""
    return local_now(now).date()


def utc_start_of(day):
    """The naive-UTC moment a local day begins."""
    local = datetime.combine(day, time.min, tzinfo=LOCAL_TZ)
    return local.astimezone(timezone.utc).replace(tzinfo=None)
