from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-07T17:27:28:000000"
VERSION = "1.38.0"
DESCRIPTION = "one row per route version; a site's rounds found by date"


async def _constraints():
    """Constraints Piccolo's column options cannot express (both databases accept them)."""
    from piccolo.engine import engine_finder

    engine = engine_finder()
    for statement in (
        "CREATE UNIQUE INDEX patrol_route_version_number ON patrol_route_version (route, version)",
        "CREATE INDEX patrol_round_site_date ON patrol_round (site, local_date)",
        "CREATE INDEX patrol_fact_site_tag ON patrol_fact (site, type, tag)",
    ):
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="patrols", description=DESCRIPTION)
    manager.add_raw(_constraints)
    return manager
