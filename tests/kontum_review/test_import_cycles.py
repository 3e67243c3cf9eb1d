"""No module of the project imports, however indirectly, a module that imports
it back, counting the imports inside functions (ARCHITECTURE.md: imports run
one way)."""

import ast
from collections import defaultdict
from pathlib import Path

from django.test import SimpleTestCase

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("kontum_review", "organizations", "members", "reviews", "api")


def modules():
    """{dotted name: path} of the project's modules, migrations aside."""
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def targets(name, path, node, known):
    """The project modules an import statement names."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            package = name.split(".")
            if path.name != "__init__.py":
                package.pop()
            package = package[: len(package) - node.level + 1]
            base = ".".join(package + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        names = [f"{base}.{alias.name}" for alias in node.names] + [base]
    for target in names:
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != name:
            yield target


def import_graph():
    known = modules()
    graph = defaultdict(set)
    for name, path in known.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                graph[name].update(targets(name, path, node, known))
    return known, graph


def cycles(known, graph):
    """The strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(known):
        if node not in index:
            visit(node)
    return found


class ImportCycleTests(SimpleTestCase):
    def test_no_module_imports_one_that_imports_it_back(self):
        known, graph = import_graph()
        self.assertGreater(len(known), 100)
        self.assertEqual(cycles(known, graph), [])

    def test_a_cycle_is_found(self):
        known = {"a", "b", "c"}
        graph = defaultdict(set, {"a": {"b"}, "b": {"c"}, "c": {"a"}})
        self.assertEqual(cycles(known, graph), [["a", "b", "c"]])
