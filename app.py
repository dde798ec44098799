"""Entry point: `flask --app app run` or `gunicorn app:app`."""

import sys

from webcall import SettingsError, create_app
from webcall.setting_values import cannot_start

try:
    app = create_app()
except SettingsError as error:
    # One clear line naming the setting, never a traceback.
    print(cannot_start(error), file=sys.stderr)
    raise SystemExit(2) from None
