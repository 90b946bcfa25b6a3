from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T06:03:55:000000"
VERSION = "1.38.0"
DESCRIPTION = "one delivery per webhook and event; due deliveries found by index"


async def _constraints():
    """Constraints Piccolo's column options cannot express (both databases accept them)."""
    from piccolo.engine import engine_finder

    engine = engine_finder()
    for statement in (
        # Two dispatchers finding the same event insert it once (INSERT ... ON CONFLICT DO
        # NOTHING relies on this index on both databases).
        "CREATE UNIQUE INDEX webhook_delivery_event ON webhook_delivery (event_key, webhook)",
        "CREATE INDEX webhook_delivery_due ON webhook_delivery (status, next_attempt_at)",
        "CREATE INDEX webhook_delivery_listing ON webhook_delivery (webhook, status, id)",
        "CREATE UNIQUE INDEX notification_cursor_source ON notification_cursor (source)",
    ):
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="notifications", description=DESCRIPTION
    )
    manager.add_raw(_constraints)
    return manager
