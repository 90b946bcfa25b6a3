from pathlib import Path

from piccolo.conf.apps import AppConfig

from server.patrols.tables import (
    PatrolFact,
    PatrolRound,
    PatrolRoute,
    PatrolRouteVersion,
    PatrolSchedule,
    PatrolScheduleVersion,
)

APP_CONFIG = AppConfig(
    app_name="patrols",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[
        PatrolRoute,
        PatrolRouteVersion,
        PatrolSchedule,
        PatrolScheduleVersion,
        PatrolFact,
        PatrolRound,
    ],
    migration_dependencies=["server.accounts.piccolo_app", "server.registry.piccolo_app"],
)
