"""One blueprint per feature; this is the list of them."""


def register_blueprints(app):
    from . import admin, api, auth, home, members, review

    for module in (auth, home, admin, members, review, api):
        app.register_blueprint(module.bp)
