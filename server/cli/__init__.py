"""The `roundkeeper` command: the root group, with one module per group of commands.

The server-side commands work on the database in ROUNDKEEPER_DATABASE_URL (`common`);
`device` is the other side, a device talking to a server over HTTP.
"""

from __future__ import annotations

import click

from server.cli import db, demo, device, gate, ops, people, registry, templates


@click.group(
    commands=[
        ops.serve,
        db.db_group,
        demo.demo,
        ops.sync_group,
        ops.notify_group,
        people.site_group,
        people.user_group,
        templates.templates_group,
        people.token_group,
        registry.assets_group,
        registry.labels,
        device.device,
        gate.gate_group,
    ]
)
def main() -> None:
    """Roundkeeper: school logistics inspections, patrols and the gate."""
