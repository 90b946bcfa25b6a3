from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-07T17:59:45:000000"
VERSION = "1.38.0"
DESCRIPTION = "a site's register found by date"


async def _indexes():
    """Indexes Piccolo's column options cannot express (both databases accept them)."""
    from piccolo.engine import engine_finder

    engine = engine_finder()
    for statement in ("CREATE INDEX visit_site_date ON visit (site, local_date)",):
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gate", description=DESCRIPTION)
    manager.add_raw(_indexes)
    return manager
