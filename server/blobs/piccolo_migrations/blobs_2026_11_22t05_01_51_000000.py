from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T05:01:51:000000"
VERSION = "1.38.0"
DESCRIPTION = "constraints"


async def _constraints():
    """Constraints Piccolo's column options cannot express (both databases accept them)."""
    from piccolo.engine import engine_finder

    engine = engine_finder()
    for statement in (
        "CREATE UNIQUE INDEX blob_grant_blob_site ON blob_grant (blob, site)",
    ):
        await engine.run_ddl(statement)



async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="blobs", description=DESCRIPTION)
    manager.add_raw(_constraints)
    return manager
