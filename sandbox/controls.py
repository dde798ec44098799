"""The stand-in's test controls under `/_sandbox/` (the API key of sandbox/standin.py): faults to
inject into its next answers (sandbox/faults.py) and the exact create bodies it received; the request
ids it saw are sandbox/request_ids.py's.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, request

from .api_errors import api_error
from .call_store import CallStore
from .faults import Fault, FaultSwitch


def init_app(app: Flask, store: CallStore, faults: FaultSwitch) -> None:
    @app.post("/_sandbox/faults")
    def set_fault() -> tuple[Response, int]:
        try:
            faults.set(Fault.from_json(request.get_json(force=True)))
        except (KeyError, TypeError, ValueError) as exc:
            return api_error(400, "bad_request", f"bad fault: {exc}")
        return jsonify({"faults": faults.describe()}), 200

    @app.get("/_sandbox/faults")
    def list_faults() -> Response:
        return jsonify({"faults": faults.describe()})

    @app.delete("/_sandbox/faults")
    def clear_faults() -> tuple[Response, int]:
        faults.clear()
        return jsonify({"faults": []}), 200

    @app.get("/_sandbox/creates")
    def creates() -> Response:
        return jsonify({"creates": list(store.creates)})
