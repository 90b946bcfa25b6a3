from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T05:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "blobs: which rules judged their location (earlier ones are judged again)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="blobs", description=DESCRIPTION)
    # Every blob stored until now was judged by the first rules (1).
    manager.add_column(
        table_class_name="Blob",
        tablename="blob",
        column_name="location_rules",
        db_column_name="location_rules",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 1,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )
    return manager
