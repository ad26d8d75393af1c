"""Domains reach each other only through services: no import circles between the domain
packages of backend/, and no module reads another domain's tables, save the exceptions below."""

from __future__ import annotations

import ast
from pathlib import Path

BACKEND = Path(__file__).parents[3] / "backend"
DOMAINS = sorted(p.name for p in BACKEND.iterdir() if p.is_dir() and (p / "__init__.py").exists())

# Known debts, each with why it stays for now. The tests fail when a new one appears and when
# one listed here is paid (so the list only shrinks).
#
# (domain, domain it imports) left out of the circle check:
EDGE_EXCEPTIONS: dict[tuple[str, str], str] = {}
# (importing module, another domain's tables module): reads that have no service method yet.
_ORG_READS = (
    "org's directory (employees, units, holidays) has no bounded service query for this yet"
)
TABLE_EXCEPTIONS: dict[tuple[str, str], str] = {
    ("backend.attendance.recap", "backend.org.tables"): _ORG_READS + " (recap joins)",
}


def imports_of(path: Path) -> set[str]:
    """Every backend module named by an import anywhere in the file (functions included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("backend.")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("backend"):
            module = node.module or ""
            found.add(module)
            # `from backend.x import tables` names a module too.
            found |= {f"{module}.{alias.name}" for alias in node.names}
    return found


def domain_imports() -> dict[str, dict[str, set[str]]]:
    """domain -> module -> the backend modules it imports."""
    graph: dict[str, dict[str, set[str]]] = {}
    for domain in DOMAINS:
        for path in sorted((BACKEND / domain).glob("*.py")):
            module = f"backend.{domain}.{path.stem}"
            graph.setdefault(domain, {})[module] = imports_of(path)
    return graph


def domain_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in DOMAINS else None


def edges() -> dict[str, set[str]]:
    result: dict[str, set[str]] = {d: set() for d in DOMAINS}
    for domain, modules in domain_imports().items():
        for imported in set().union(*modules.values()):
            other = domain_of(imported)
            if other and other != domain:
                result[domain].add(other)
    return result


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_checker_sees_a_circle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_domain_imports_another_in_a_circle():
    graph = edges()
    for source, target in EDGE_EXCEPTIONS:
        assert target in graph[source], f"exception no longer needed: {source} -> {target}"
        graph[source].discard(target)
    assert find_cycle(graph) is None, f"import circle between domains: {find_cycle(graph)}"


def test_core_imports_no_domain():
    for module, imported in domain_imports()["core"].items():
        others = {i for i in imported if domain_of(i) not in (None, "core")}
        assert not others, f"{module} imports {sorted(others)}"


def test_no_module_reads_another_domains_tables():
    found: set[tuple[str, str]] = set()
    for domain, modules in domain_imports().items():
        for module, imported in modules.items():
            for target in imported:
                other = domain_of(target)
                if other in (None, domain) or not target.endswith(".tables"):
                    continue
                # A table's foreign key names the other domain's table class: that is the
                # schema, not a read (Piccolo's ForeignKey needs the class).
                if module.endswith(".tables") or module.endswith(".piccolo_app"):
                    continue
                found.add((module, target))
    unexpected = sorted(found - TABLE_EXCEPTIONS.keys())
    assert not unexpected, "reads another domain's tables (go through its service):\n" + "\n".join(
        f"  {a} -> {b}" for a, b in unexpected
    )
    stale = sorted(TABLE_EXCEPTIONS.keys() - found)
    assert not stale, f"exceptions no longer needed: {stale}"
