"""The import graph of app/: layers that point one way, and no circle anywhere."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.support import ROOT

APP = ROOT / "app"
FORBIDDEN_IN_CHAT = ("app.broker", "app.web", "quart", "hypercorn")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, TYPE_CHECKING and function-level imports included."""
    tree = ast.parse(path.read_text(), str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(path): path for path in APP.rglob("*.py")}
    return {
        name: {target for target in imports_of(path) if target in modules and target != name}
        for name, path in modules.items()
    }


def test_no_module_of_chat_imports_the_broker_the_web_layer_or_quart() -> None:
    for path in (APP / "chat").rglob("*.py"):
        bad = [name for name in imports_of(path) if name.startswith(FORBIDDEN_IN_CHAT)]
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_the_import_graph_of_app_has_no_circle() -> None:
    edges = graph()
    state: dict[str, str] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for target in sorted(edges[node]):
            # importing a package's module also runs the package's __init__
            if state.get(target) == "open":
                raise AssertionError("import circle: " + " -> ".join([*trail, node, target]))
            if target not in state:
                visit(target, [*trail, node])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [])


def test_a_chat_without_dm_history_does_not_load_sqlalchemy_or_alembic() -> None:
    """Some 30 MB of every server's memory: loaded only when [DirectMessageHistory] is on."""
    probe = (
        "import sys\n"
        "from app import create_app\n"
        "from app.settings import settings_for_tests\n"
        "create_app(settings_for_tests())\n"
        "print(sorted(m for m in ('sqlalchemy', 'alembic', 'aiosqlite') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
