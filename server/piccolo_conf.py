"""Piccolo's configuration module: the registered apps.

`DB` is bound at run time by `server.db.bind()` from the settings, never at import.
"""

from piccolo.conf.apps import AppRegistry
from piccolo.engine.base import Engine

DB: Engine | None = None

APP_REGISTRY = AppRegistry(
    apps=[
        "server.accounts.piccolo_app",
        "server.registry.piccolo_app",
        "server.inspections.piccolo_app",
        "server.blobs.piccolo_app",
        "server.notifications.piccolo_app",
        "server.patrols.piccolo_app",
        "server.gate.piccolo_app",
        "sync.piccolo_app",
    ]
)
