"""One blueprint per feature; this is the list of them."""


def register_blueprints(app):
    from . import admin, auth, home, members, review, shell

    for module in (auth, home, admin, members, review, shell):
        app.register_blueprint(module.bp)
