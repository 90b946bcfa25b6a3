from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T05:15:24:000000"
VERSION = "1.38.0"
DESCRIPTION = "the counter row, ledger constraints, change-log index"


async def _constraints():
    """The one counter row with this database's epoch (a random name: a cursor made by
    another database is reset); one answer per device and seq; pulls read a scope's
    changes after a position."""
    import secrets

    from piccolo.engine import engine_finder

    engine = engine_finder()
    for statement in (
        "CREATE INDEX sync_change_scope_position ON sync_change (scope, position, id)",
        "CREATE INDEX sync_change_position ON sync_change (position)",
        "CREATE UNIQUE INDEX sync_op_device_seq ON sync_op (device_id, device_seq)",
        "CREATE INDEX sync_op_scope_status ON sync_op (scope, status)",
        "INSERT INTO sync_counter (id, position, epoch, pruned_through) "
        f"VALUES (1, 0, '{secrets.token_hex(4)}', 0)",
    ):
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sync", description=DESCRIPTION)
    manager.add_raw(_constraints)
    return manager
