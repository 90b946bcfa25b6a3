from pathlib import Path

from piccolo.conf.apps import AppConfig

from server.blobs.tables import Blob, BlobGrant

APP_CONFIG = AppConfig(
    app_name="blobs",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Blob, BlobGrant],
    migration_dependencies=["server.accounts.piccolo_app"],
)
