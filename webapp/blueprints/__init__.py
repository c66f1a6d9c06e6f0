"""One blueprint per feature; this is the list of them."""


def register_blueprints(app):
    from . import admin, agenda, api, auth, book, home, members, push, review, shell

    for module in (auth, home, admin, members, review, push, agenda, shell, api, book):
        app.register_blueprint(module.bp)
