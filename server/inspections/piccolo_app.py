from pathlib import Path

from piccolo.conf.apps import AppConfig

from server.inspections.tables import TemplateVersion

APP_CONFIG = AppConfig(
    app_name="inspections",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[TemplateVersion],
    migration_dependencies=["server.accounts.piccolo_app"],
)
