"""One blueprint per feature; this is the list of them."""


def register_blueprints(app):
    from . import admin, agenda, auth, home, members, push, review, shell

    for module in (auth, home, admin, members, review, push, agenda, shell):
        app.register_blueprint(module.bp)
