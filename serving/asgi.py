"""The app for an ASGI server started by import string, as several workers need:
`uvicorn serving.asgi:app --workers 4` (deploy/systemd/shouhu-web.service). Settings come from the
environment (SHOUHU_*), read once per worker process; the schema must be current (`shouhu db upgrade` runs
first in the unit)."""

from __future__ import annotations

from serving.app import create_app
from shouhu.settings import get_settings

app = create_app(get_settings())
