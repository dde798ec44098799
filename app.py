"""Entry point: `flask --app app run` or `gunicorn app:app`."""

import sys

from webcall import SettingsError, create_app

try:
    app = create_app()
except SettingsError as error:
    # One clear line naming the setting, never a traceback.
    print(f"itellico web-call cannot start: {error}", file=sys.stderr)
    raise SystemExit(2) from None
