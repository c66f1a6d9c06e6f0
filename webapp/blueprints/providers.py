"""The directory of service providers: the board keeps the club's, the supervisor the area's, and
both see how the referrals sent to each went. Views stay thin: the rules are in book.providers."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..book import overtaken, providers, reports
from ..book.entry_forms import ProviderForm
from ..forms import typed_again
from ..invalid import Invalid
from ..models import Referral
from ..permissions import CHAIR, SUPERVISOR, access, case_or_404, club_record_or_404

bp = Blueprint("providers", __name__, url_prefix="/providers")


def _user():
    return current_user._get_current_object()


def _provider(provider_id, keep=False):
    """A provider of the user's directory (one they keep, with `keep`), else 404."""
    provider = providers.find(_user(), provider_id, keep=keep)
    if provider is None:
        abort(404)
    return provider


@bp.route("/")
@access(CHAIR, SUPERVISOR)
def index():
    """The directory the user sees, with how the referrals sent to each provider went."""
    return render_template("providers/index.html", rows=reports.provider_figures(_user()),
                           may_keep=providers.may_keep)


@bp.route("/new", methods=["GET", "POST"])
@access(CHAIR, SUPERVISOR)
def new():
    """Add a provider to the directory the user keeps."""
    form = ProviderForm()
    if form.validate_on_submit():
        try:
            provider = providers.save(form.values, _user(), uuid=form.entry_uuid.data)
        except Invalid as invalid:
            form.show_errors(invalid.errors)
        else:
            flash(_("The provider is in the directory."), "success")
            return redirect(url_for("providers.page", provider_id=provider.id))
    return render_template("providers/form.html", form=form, provider=None,
                           title=_("Add a service provider"))


@bp.route("/<int:provider_id>")
@access(CHAIR, SUPERVISOR)
def page(provider_id):
    """One provider: what it offers, how to reach it, and its referrals' figures."""
    provider = _provider(provider_id)
    row = next(r for r in reports.provider_figures(_user()) if r["provider"].id == provider.id)
    return render_template("providers/provider.html", provider=provider, row=row,
                           may_keep=providers.may_keep(_user(), provider))


@bp.route("/<int:provider_id>/edit", methods=["GET", "POST"])
@access(CHAIR, SUPERVISOR)
def edit(provider_id):
    """Change a provider the user keeps."""
    provider = _provider(provider_id, keep=True)
    form = ProviderForm()
    if not form.is_submitted() and typed_again() is None:  # else: the page drawn again as typed
        form.fill(providers.values_of(provider))
        form.seen.data = overtaken.mark(providers.values_of(provider))
    if form.validate_on_submit():
        try:
            providers.save(form.values, _user(), provider, seen=form.seen.data)
        except overtaken.Overtaken as late:
            # Saved again from this page, it is the version shown on it that is changed.
            form.seen.data = overtaken.mark(late.saved)
            return render_template("providers/form.html", form=form, provider=provider,
                                   title=_("Change a service provider"), overtaken=late,
                                   saved_rows=providers.shown(late.saved)), 409
        flash(_("The provider is updated."), "success")
        return redirect(url_for("providers.page", provider_id=provider.id))
    return render_template("providers/form.html", form=form, provider=provider,
                           title=_("Change a service provider"))


@bp.route("/<int:provider_id>/remove", methods=["POST"])
@access(CHAIR, SUPERVISOR)
def remove(provider_id):
    """Take a provider the user keeps out of the directory."""
    provider = _provider(provider_id, keep=True)
    providers.remove(provider, _user())
    flash(_("The provider is no longer in the directory."), "success")
    return redirect(url_for("providers.index"))


@bp.route("/from-referral/<int:referral_id>", methods=["POST"])
@access(CHAIR)
def from_referral(referral_id):
    """Add the provider typed on a referral to the club's directory, in one step."""
    referral = club_record_or_404(Referral, referral_id)
    case = case_or_404(_user(), referral.case_id)
    try:
        provider = providers.add_from_referral(referral, _user())
    except Invalid as invalid:
        for message in invalid.errors.values():
            flash(str(message), "error")
    else:
        flash(_("%(name)s is in the club's directory now.", name=provider.name), "success")
    return redirect(url_for("book.case_page", case_id=case.id))
