from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T05:02:44:000000"
VERSION = "1.38.0"
DESCRIPTION = "inspection and finding constraints and indexes"


async def _constraints():
    """One override per template per site; an inspection is corrected at most once (the
    database enforces it even when two corrections race); indexes for a thing's history
    and for "the last inspection of each checklist on this thing"."""
    from piccolo.engine import engine_finder

    engine = engine_finder()
    for statement in (
        "CREATE UNIQUE INDEX site_checklist_site_key ON site_checklist (site, template_key)",
        "CREATE UNIQUE INDEX inspection_supersedes_once ON inspection (supersedes)",
        "CREATE INDEX inspection_asset_history "
        "ON inspection (asset, template_key, completed_at)",
        "CREATE INDEX inspection_location_history "
        "ON inspection (location, template_key, completed_at)",
        "CREATE INDEX inspection_site_completed ON inspection (site, completed_at)",
        "CREATE INDEX finding_site_observed ON finding (site, observed_at)",
    ):
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="inspections", description=DESCRIPTION)
    manager.add_raw(_constraints)
    return manager
