from pathlib import Path

from piccolo.conf.apps import AppConfig

from server.inspections.tables import (
    ActionEvent,
    CorrectiveAction,
    Finding,
    Inspection,
    OccurrenceExcusal,
    Report,
    Schedule,
    ScheduleVersion,
    SiteCalendar,
    SiteChecklist,
    SiteServiceLevel,
    TemplateVersion,
)

APP_CONFIG = AppConfig(
    app_name="inspections",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[
        TemplateVersion,
        SiteChecklist,
        Inspection,
        Finding,
        Report,
        CorrectiveAction,
        ActionEvent,
        SiteServiceLevel,
        SiteCalendar,
        Schedule,
        ScheduleVersion,
        OccurrenceExcusal,
    ],
    migration_dependencies=["server.accounts.piccolo_app", "server.registry.piccolo_app"],
)
