"""Cases (hồ sơ đối tượng đích): the club-unique codes and the rules of one person's record."""
from peewee import fn

from .models import Case


def next_code(club, year):
    """The next free club-unique code for `year`, e.g. TC-2026-014 (call inside a write transaction)."""
    prefix = f"{club.code_prefix}-{year}-"
    last = (Case.select(fn.MAX(Case.code))
            .where((Case.club == club) & Case.code.startswith(prefix))
            .scalar())
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:03d}"
