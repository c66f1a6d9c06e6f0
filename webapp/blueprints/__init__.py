"""One blueprint per feature; this is the list of them."""


def register_blueprints(app):
<<<<<<< HEAD
    from . import admin, agenda, area, auth, home, members, monthly, push, reports, review

    for module in (auth, home, admin, members, review, push, agenda, reports, monthly, area):
=======
    from . import admin, agenda, auth, home, members, push, review, shell

    for module in (auth, home, admin, members, review, push, agenda, shell):
>>>>>>> main
        app.register_blueprint(module.bp)
