"""One blueprint per feature; this is the list of them."""


def register_blueprints(app):
    from . import admin, agenda, auth, home, members, push, review

    for module in (auth, home, admin, members, review, push, agenda):
        app.register_blueprint(module.bp)
