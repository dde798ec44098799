"""Entry point: `flask --app app run` or `gunicorn app:app`."""

from webcall import SettingsError, create_app
from webcall.setting_values import say_cannot_start

try:
    app = create_app()
except SettingsError as error:
    # One clear line naming the setting, never a traceback.
    say_cannot_start(error)
    raise SystemExit(2) from None
