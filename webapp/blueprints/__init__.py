"""One blueprint per feature; this is the list of them."""


def register_blueprints(app):
    from . import (admin, agenda, api, area, auth, book, evaluation, home, members, monthly,
                   providers, push, reports, review, shell, survey, wards)

    for module in (auth, home, admin, members, review, push, agenda, shell, api, book, reports,
                   monthly, area, evaluation, providers, wards, survey):
        app.register_blueprint(module.bp)
