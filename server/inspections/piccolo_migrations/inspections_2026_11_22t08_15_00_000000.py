from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T08:15:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "a site's inspections in id order, for a new device's snapshot"


async def _indexes():
    """A snapshot pages through a site's inspections by id (server/inspections/
    inspection_feed.py); without this index every page reads and sorts all of the site's
    inspections, so a site-year costs each page as much as the whole."""
    from piccolo.engine import engine_finder

    engine = engine_finder()
    await engine.run_ddl("CREATE INDEX inspection_site_id ON inspection (site, id)")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="inspections", description=DESCRIPTION)
    manager.add_raw(_indexes)
    return manager
