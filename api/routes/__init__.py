"""Thin routers: read the request, call the ``matcher`` library, answer."""
