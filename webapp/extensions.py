"""Flask extension objects, kept apart so that modules import them without import cycles."""
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
csrf = CSRFProtect()
