"""``matcher serve``: the API and web page under uvicorn (the app is built by ``api.app.create_app``)."""

from __future__ import annotations

import sys

from api.app import log_config
from matcher.config import Settings


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> int:
    import uvicorn

    s = settings
    host, port = host or s.host, port or s.port
    print(f"matcher: serving on http://{host}:{port}/ (API docs at /docs)", file=sys.stderr)
    # factory=True: the app is built by api.app.create_app() in the server process, never at import time.
    # access_log=False: uvicorn's access log would add client addresses and query strings; the app logs one line
    # per request itself (request id, route, status, sizes, duration, occupation).
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, access_log=False,
                log_config=log_config(), workers=1)
    return 0
