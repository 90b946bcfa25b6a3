from pathlib import Path

from piccolo.conf.apps import AppConfig

from server.accounts.tables import (
    ApiToken,
    Device,
    LoginFailure,
    Membership,
    Organization,
    Site,
    User,
    UsernameRefusal,
    UserSession,
)

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[
        Organization,
        Site,
        User,
        Membership,
        Device,
        ApiToken,
        UserSession,
        LoginFailure,
        UsernameRefusal,
    ],
)
