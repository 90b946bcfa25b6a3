from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T03:15:40:000000"
VERSION = "1.38.0"
DESCRIPTION = "constraints"


async def _constraints():
    """Constraints Piccolo's column options cannot express (both databases accept them)."""
    from piccolo.engine import engine_finder

    engine = engine_finder()
    for statement in (
        "CREATE UNIQUE INDEX asset_site_number ON asset (site, asset_number) WHERE asset_number <> ''",
        "CREATE INDEX asset_site_name ON asset (site, name)",
        "CREATE INDEX location_site_parent ON location (site, parent)",
    ):
        await engine.run_ddl(statement)



async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)
    manager.add_raw(_constraints)
    return manager
