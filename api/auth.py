"""The API key of the keyed endpoints (``X-API-Key`` = ``MATCHER_API_KEY``), checked from the headers alone.

``api.middleware.Admission`` calls :func:`check_key` before it reads any of a keyed request's body, and the route
dependency ``api.routes.deps.require_api_key`` calls it again (and declares the scheme in the OpenAPI spec).
"""

from __future__ import annotations

import hmac

from pydantic import SecretStr

from api.errors import ApiError

API_KEY_HEADER = "X-API-Key"


def check_key(configured: SecretStr | None, presented: str | None) -> None:
    """``presented`` must equal the configured key (compared in constant time); with no key configured the
    endpoint is switched off (403 ``screen_disabled``), so it is never open by mistake."""
    secret = configured.get_secret_value() if configured is not None else ""
    if not secret:
        raise ApiError(403, "screen_disabled", "Screening is switched off on this server: the operator has not set "
                       "an API key (MATCHER_API_KEY).")
    if presented is None or not hmac.compare_digest(presented.encode("utf-8", "surrogateescape"),
                                                    secret.encode("utf-8")):
        raise ApiError(401, "unauthorized", f"A valid API key is required in the {API_KEY_HEADER} header.",
                       {"WWW-Authenticate": f'ApiKey header="{API_KEY_HEADER}"'})
