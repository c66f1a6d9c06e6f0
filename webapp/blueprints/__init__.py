"""One blueprint per feature; this is the list of them."""


def register_blueprints(app):
    from . import admin, area, auth, home, members, monthly, reports

    for module in (auth, home, admin, members, reports, monthly, area):
        app.register_blueprint(module.bp)
