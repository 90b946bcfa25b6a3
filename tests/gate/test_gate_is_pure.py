"""The gate's core imports nothing of the server but itself (and the pure checklists), so a
gate device or a kiosk can run the same rules offline. The `layers` contract would allow
the domains below the gate; this is the stricter rule for the core. The domain's I/O
modules (tables, wire, the fact handlers, the register, controllers) sit beside it, as a
domain's do, and the core never imports them."""

import ast
import sys
from pathlib import Path

GATE = Path(__file__).resolve().parents[2] / "server" / "gate"
ALLOWED = {"msgspec", "checklists"}
CORE = ("contacts", "documents", "faults", "passes", "pickup_cards", "text", "visits")


def test_the_gate_imports_only_the_standard_library_msgspec_checklists_and_itself() -> None:
    strangers = []
    core = {f"server.gate.{name}" for name in CORE}
    for path in sorted(GATE / f"{name}.py" for name in CORE):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level > 1:
                names = ["." * node.level + (node.module or "")]  # out of the package
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if name in core or top in ALLOWED:
                    continue
                if top not in sys.stdlib_module_names:
                    strangers.append(f"{path.name}: {name}")
    assert strangers == []
