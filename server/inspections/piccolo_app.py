from pathlib import Path

from piccolo.conf.apps import AppConfig

from server.actions.tables import ActionEvent, CorrectiveAction, HazardReport, SiteServiceLevel
from server.inspections.tables import Finding, Inspection
from server.schedules.tables import (
    ExcusalDecision,
    ExcusalPolicy,
    OccurrenceExcusal,
    Schedule,
    ScheduleVersion,
    SiteCalendar,
)
from server.templates.tables import SiteChecklist, TemplateVersion

APP_CONFIG = AppConfig(
    app_name="inspections",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[
        TemplateVersion,
        SiteChecklist,
        Inspection,
        Finding,
        HazardReport,
        CorrectiveAction,
        ActionEvent,
        SiteServiceLevel,
        SiteCalendar,
        Schedule,
        ScheduleVersion,
        OccurrenceExcusal,
        ExcusalPolicy,
        ExcusalDecision,
    ],
    migration_dependencies=["server.accounts.piccolo_app", "server.registry.piccolo_app"],
)
