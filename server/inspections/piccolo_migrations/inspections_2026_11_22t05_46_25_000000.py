from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T05:46:25:000000"
VERSION = "1.38.0"
DESCRIPTION = "one action per finding or report; one service level per site and size"


async def _constraints():
    from piccolo.engine import engine_finder

    engine = engine_finder()
    for statement in (
        "CREATE UNIQUE INDEX corrective_action_finding ON corrective_action (finding)",
        "CREATE UNIQUE INDEX corrective_action_report ON corrective_action (report)",
        "CREATE INDEX corrective_action_site_state ON corrective_action (site, state, due_at)",
        "CREATE UNIQUE INDEX site_service_level_size ON site_service_level (site, size)",
    ):
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="inspections", description=DESCRIPTION)
    manager.add_raw(_constraints)
    return manager
