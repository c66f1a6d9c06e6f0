"""The imports of webapp/ run one way (DESIGN.md, issue 12): no loop, and no import from a lower
layer to a higher one. Every import counts, at module level or inside a function.

Layers, top to bottom:
- the app: webapp/__init__.py, blueprints/, cli, demo, nav, shell, errors;
- the club's book: webapp/book/;
- the machinery: every other module of webapp/ (db, models, config, security, accounts, …).
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "webapp"
APP_MODULES = {"webapp", "webapp.cli", "webapp.demo", "webapp.nav", "webapp.shell",
               "webapp.errors"}
LAYERS = {0: "machinery", 1: "book", 2: "app"}


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules():
    """{module name: path} of webapp's Python modules (migrations are loaded as files, not imported)."""
    return {module_name(p): p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}


def layer(name):
    if name in APP_MODULES or name.startswith("webapp.blueprints"):
        return 2
    if name == "webapp.book" or name.startswith("webapp.book."):
        return 1
    return 0


def imports(name, path, known):
    """[(imported module, line)] of every import in the module that names a module of webapp."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names if alias.name in known]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            submodules = [f"{target}.{alias.name}" for alias in node.names
                          if f"{target}.{alias.name}" in known]
            found += [(sub, node.lineno) for sub in submodules]
            if target in known and len(submodules) < len(node.names):
                found.append((target, node.lineno))  # names defined in the module itself
    return [(target, line) for target, line in found if target != name]


def import_graph():
    """{module: {imported module: line of the first import}}."""
    known = modules()
    graph = {}
    for name, path in known.items():
        edges = graph.setdefault(name, {})
        for target, line in imports(name, path, known):
            edges.setdefault(target, line)
    return graph


def where(graph, source, target):
    path = modules()[source].relative_to(ROOT)
    return f"{source} -> {target} ({path}:{graph[source][target]})"


def find_cycle(graph):
    """One import loop as a list of modules [a, b, …, a], or None."""
    state = {}  # module -> "open" while on the path, "done" once fully explored
    path = []

    def visit(name):
        state[name] = "open"
        path.append(name)
        for target in sorted(graph.get(name, ())):
            if state.get(target) == "open":
                return path[path.index(target):] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        path.pop()
        state[name] = "done"
        return None

    for name in sorted(graph):
        if name not in state:
            cycle = visit(name)
            if cycle:
                return cycle
    return None


def test_no_import_loop_in_webapp():
    graph = import_graph()
    cycle = find_cycle(graph)
    assert cycle is None, "import loop: " + "; ".join(
        where(graph, a, b) for a, b in zip(cycle, cycle[1:]))


def test_no_import_from_a_lower_layer_to_a_higher_one():
    graph = import_graph()
    upward = [f"{where(graph, source, target)}: {LAYERS[layer(source)]} imports "
              f"{LAYERS[layer(target)]}"
              for source, targets in sorted(graph.items()) for target in sorted(targets)
              if layer(source) < layer(target)]
    assert upward == []


# --- The checks themselves find what they look for -------------------------------------------

def test_a_loop_is_found_and_named():
    graph = {"webapp.book.a": {"webapp.book.b": 3}, "webapp.book.b": {"webapp.book.c": 5},
             "webapp.book.c": {"webapp.book.a": 7}, "webapp.db": {}}
    assert find_cycle(graph) == ["webapp.book.a", "webapp.book.b", "webapp.book.c",
                                 "webapp.book.a"]
    del graph["webapp.book.c"]["webapp.book.a"]
    assert find_cycle(graph) is None


@pytest.mark.parametrize("source, text, expected", [
    ("webapp.book.sync", "from . import review\n", ["webapp.book.review"]),
    ("webapp.book.sync", "from ..models import Case\n", ["webapp.models"]),
    ("webapp.book.sync", "from .. import audit\n", ["webapp.audit"]),
    ("webapp.book.review", "def f():\n    from .sync import KINDS\n", ["webapp.book.sync"]),
    ("webapp.accounts", "from .book.vocab import ROLES\n", ["webapp.book.vocab"]),
    ("webapp.accounts", "import webapp.book.sync\n", ["webapp.book.sync"]),
    ("webapp", "from .book import reminders, vocab\n",
     ["webapp.book.reminders", "webapp.book.vocab"]),
])
def test_imports_are_read_at_module_and_function_level(tmp_path, source, text, expected):
    known = modules()
    path = tmp_path / ("__init__.py" if source == "webapp" else "module.py")
    path.write_text(text, encoding="utf-8")
    assert sorted(target for target, _line in imports(source, path, known)) == expected


def test_layers():
    assert [layer(name) for name in ("webapp", "webapp.blueprints.api", "webapp.cli",
                                     "webapp.book", "webapp.book.sync", "webapp.models",
                                     "webapp.accounts", "webapp.i18n")] == [2, 2, 2, 1, 1, 0, 0, 0]
