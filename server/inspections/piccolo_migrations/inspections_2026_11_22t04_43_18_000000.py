from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T04:43:18:000000"
VERSION = "1.38.0"
DESCRIPTION = "constraints"


async def _constraints():
    """Constraints Piccolo's column options cannot express (both databases accept them)."""
    from piccolo.engine import engine_finder

    engine = engine_finder()
    for statement in (
        "CREATE UNIQUE INDEX template_version_org_key_version "
        "ON template_version (organization, key, version)",
    ):
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="inspections", description=DESCRIPTION)
    manager.add_raw(_constraints)
    return manager
