from pathlib import Path

from piccolo.conf.apps import AppConfig

from sync.tables import SyncChange, SyncCounter, SyncDevice, SyncOp

APP_CONFIG = AppConfig(
    app_name="sync",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[SyncCounter, SyncChange, SyncDevice, SyncOp],
)
