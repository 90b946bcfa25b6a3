from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-07T06:17:23:000000"
VERSION = "1.38.0"
DESCRIPTION = "one excusal rule per site; an excusal decided once"


async def _constraints():
    """A site has one rule; an excusal is decided once (the database holds it even when two
    managers decide at the same time)."""
    from piccolo.engine import engine_finder

    engine = engine_finder()
    for statement in (
        "CREATE UNIQUE INDEX excusal_policy_site ON excusal_policy (site)",
        "CREATE UNIQUE INDEX excusal_decision_excusal ON excusal_decision (excusal)",
    ):
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="inspections", description=DESCRIPTION)
    manager.add_raw(_constraints)
    return manager
