"""Sổ Theo Dõi: the application factory."""
from flask import Flask

from . import config as config_module


def create_app(test_config=None):
    """Create the app: instance settings, database, security, translations and the blueprints."""
    app = Flask(__name__, instance_path=config_module.instance_path(),
                instance_relative_config=True)
    app.config.from_mapping(config_module.DEFAULTS)
    secret_key = config_module.ensure_instance(app.instance_path)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    # The environment overrides the instance's config file, but not a test's explicit settings.
    config_module.from_environment(app.config, keep=test_config or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key
    if app.debug:
        app.config["SESSION_COOKIE_SECURE"] = False

    from . import accounts, cli, db, errors, forms, i18n, nav, permissions, push, security
    from .book import entries, reminders, vocab
    from .blueprints import register_blueprints

    db.init_app(app)
    accounts.init_app(app)
    permissions.init_app(app)
    i18n.init_app(app)
    app.jinja_env.globals["vocab"] = vocab  # the book's vocabularies, for every template
    app.jinja_env.globals["entry_types"] = entries.ENTRY_TYPES
    security.init_app(app)
    errors.init_app(app)
    nav.init_app(app)
    forms.init_app(app)
    cli.init_app(app)
    push.init_app(app)
    reminders.init_app(app)
    register_blueprints(app)
    return app
