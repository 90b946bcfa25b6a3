from pathlib import Path

from piccolo.conf.apps import AppConfig

from server.registry.tables import Asset, AssetImport, Location, Tag, TagEvent

APP_CONFIG = AppConfig(
    app_name="registry",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Location, Asset, Tag, TagEvent, AssetImport],
    migration_dependencies=["server.accounts.piccolo_app"],
)
