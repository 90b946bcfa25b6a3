from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T06:03:57:000000"
VERSION = "1.38.0"
DESCRIPTION = "one calendar per site; one schedule version per date; excusals by occurrence"


async def _constraints():
    """A site has one calendar; two versions of a schedule never take effect on the same
    date (the database holds it even when two managers race); excusals are looked up by
    schedule and occurrence, and a device's snapshot takes a site's recent ones."""
    from piccolo.engine import engine_finder

    engine = engine_finder()
    for statement in (
        "CREATE UNIQUE INDEX site_calendar_site ON site_calendar (site)",
        "CREATE UNIQUE INDEX schedule_version_date ON schedule_version (schedule, effective_from)",
        "CREATE INDEX occurrence_excusal_schedule_key "
        "ON occurrence_excusal (schedule, occurrence_key)",
        "CREATE INDEX occurrence_excusal_site_date ON occurrence_excusal (site, occurrence_date)",
    ):
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="inspections", description=DESCRIPTION)
    manager.add_raw(_constraints)
    return manager
