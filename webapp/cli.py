"""Command-line administration for a fresh server: clubs, accounts, the demo data, restoring a
backup."""
import click
import unicodedata

from flask.cli import with_appcontext
from flask_babel import gettext as _

from . import accounts
from .invalid import Invalid
from .models import Club, User
from .book.vocab import ROLES


def _fail(error):
    raise click.ClickException(error.message)


@click.group("clubs", help="Clubs.")
def clubs_cli():
    pass


@clubs_cli.command("create")
@click.option("--name", required=True, help="The club's name, e.g. 'CLB Tuần Châu'.")
@click.option("--prefix", "code_prefix", default=None, help="Case code prefix, e.g. TC.")
@click.option("--ward", default="")
@click.option("--city", default="")
@click.option("--province", default="")
def create_club_command(name, code_prefix, ward, city, province):
    """Create a club."""
    if not code_prefix:
        code_prefix = default_prefix(ward or name)
    try:
        club = accounts.create_club(name=name, code_prefix=code_prefix, ward=ward, city=city,
                                    province=province)
    except Invalid as error:
        _fail(error)
    click.echo(f"Club created: {club.name} (id {club.id}, case codes {club.code_prefix}-…)")


def default_prefix(name):
    """Initials of a ward's name without diacritics: 'Tuần Châu' -> 'TC'."""
    words = [w for w in name.replace("CLB", "").split() if w]
    letters = "".join(unicodedata.normalize("NFD", w)[0] for w in words).upper()
    letters = letters.replace("Đ", "D")
    letters = "".join(c for c in letters if "A" <= c <= "Z")
    return letters[:8] if len(letters) >= 2 else "CLB"


@click.group("users", help="Accounts.")
def users_cli():
    pass


@users_cli.command("create")
@click.option("--login", required=True)
@click.option("--password", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES.codes))
@click.option("--club", "club_name", default=None, help="The club's name (members and chairs).")
@click.option("--name", "full_name", default="")
@click.option("--phone", default=None)
@click.option("--area", default="", help="A supervisor's city or province.")
def create_user_command(login, password, role, club_name, full_name, phone, area):
    """Create an account (the password set here need not be changed at first login)."""
    club = None
    if club_name:
        club = Club.get_or_none(Club.name == club_name)
        if club is None:
            raise click.ClickException(f"No club named {club_name!r}.")
    try:
        user = accounts.create_user(login=login, password=password, role=role, club=club,
                                    full_name=full_name, phone=phone, area=area,
                                    must_change_password=False)
    except Invalid as error:
        _fail(error)
    click.echo(f"Account created: {user.login} ({user.role})")


@click.command("demo")
@click.option("--password", default="demo12345", show_default=True,
              help="One password for every demo account.")
def demo_command(password):
    """Fill an empty database with the five pilot clubs of Hạ Long and fictional cases."""
    from .demo import fill

    if User.select().exists() or Club.select().exists():
        raise click.ClickException("The database is not empty; the demo fills only an empty one.")
    try:
        logins = fill(password)
    except Invalid as error:  # e.g. a password too short: nothing was written
        _fail(error)
    click.echo("Demo data created. Log in with any of these accounts "
               f"(password: {password}):")
    for login, role, club in logins:
        click.echo(f"  {login:<14} {role:<10} {club}")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path, yes):
    """Replace the SQLite database by the backup at PATH, after checking it."""
    from . import backup
    from .book import cases

    try:
        backup.refuse_postgres()
        counts, _migrations = backup.inspect(path)
        if not yes:
            click.confirm(_("Replace the database %(live)s by %(path)s (%(rows)d rows)? A copy of "
                            "the current database is kept.", live=backup.live_path(), path=path,
                            rows=sum(counts.values())), abort=True)
        counts, saved, erased = backup.restore(path)
    except backup.BackupError as error:
        raise click.ClickException(str(error))
    # A backup from before an erasure holds the person again: they asked to be erased, so they
    # are erased again before anyone reads the book.
    again = cases.erase_again(erased)
    if saved:
        click.echo(_("The replaced database is kept as %(saved)s.", saved=saved))
    click.echo(_("Restored from %(path)s: %(rows)d rows in %(tables)d tables.",
                 path=path, rows=sum(counts.values()), tables=len(counts)))
    if again:
        click.echo(_("%(n)d people erased at their request since this backup was made were "
                     "erased again.", n=again))


@click.group("erased", help="People erased at their request: to erase them again after "
                            "PostgreSQL's pg_restore of a dump made before.")
def erased_cli():
    pass


@erased_cli.command("list")
@with_appcontext
def erased_list_command():
    """Print the uuids of the cases erased at their person's request, one a line (no name)."""
    from .book import cases

    for uuid in cases.erased_uuids():
        click.echo(uuid)


@erased_cli.command("again")
@click.argument("path", type=click.File("r", encoding="utf-8"))
@with_appcontext
def erased_again_command(path):
    """Erase again the cases named in PATH (a file `erased list` wrote)."""
    from .book import cases

    again = cases.erase_again([line.strip() for line in path if line.strip()])
    click.echo(_("%(n)d people erased at their request since this backup was made were "
                 "erased again.", n=again))


def init_app(app):
    from .backup import backup_command

    for command in (clubs_cli, users_cli, demo_command, backup_command, restore_command,
                    erased_cli):
        app.cli.add_command(command)
