from pathlib import Path

from piccolo.conf.apps import AppConfig

from server.gate.tables import (
    CardCheckRow,
    GateSettingsRow,
    LeavePassRow,
    ParentLinkRow,
    PassFactRow,
    PickupCardRow,
    VisitFactRow,
    VisitRow,
    WatchEntryRow,
)

APP_CONFIG = AppConfig(
    app_name="gate",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[
        VisitFactRow,
        VisitRow,
        GateSettingsRow,
        WatchEntryRow,
        PassFactRow,
        LeavePassRow,
        ParentLinkRow,
        PickupCardRow,
        CardCheckRow,
    ],
    migration_dependencies=["server.accounts.piccolo_app"],
)
