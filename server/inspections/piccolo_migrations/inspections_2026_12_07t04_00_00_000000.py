from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-07T04:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hazard reports and repair requests: table report renamed hazard_report"


async def forwards():
    # "report" is kept for compliance reporting's words; the HTTP path /api/reports and the
    # report.* problem codes were shipped and stay as they are.
    manager = MigrationManager(migration_id=ID, app_name="inspections", description=DESCRIPTION)
    manager.rename_table(
        old_class_name="Report",
        old_tablename="report",
        new_class_name="HazardReport",
        new_tablename="hazard_report",
    )
    return manager
