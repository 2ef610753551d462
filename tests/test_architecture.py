"""The import rules of docs/architecture.md, read from the source: stages import only earlier stages,
``embeddings/`` knows nothing of ``qa/``, and no module imports itself back through others."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# What each part of qa/ may import from qa/ besides itself and the shared modules (docs/architecture.md).
SHARED = {"qa.types", "qa.errors", "qa.settings"}
ALLOWED: dict[str, set[str]] = {
    "qa.types": set(),
    "qa.errors": set(),
    "qa.settings": set(),
    "qa.terminal": set(),
    "qa.language": set(),
    "qa.sources": {"qa.language"},
    "qa.index": {"qa.language", "qa.sources"},
    "qa.search": {"qa.language", "qa.index"},
    "qa.answer": {"qa.language", "qa.index", "qa.search"},
    "qa.engine": {"qa.language", "qa.sources", "qa.index", "qa.search", "qa.answer"},
    "qa.chat": {"qa.language", "qa.sources", "qa.index", "qa.search", "qa.answer", "qa.engine", "qa.terminal"},
}
ANYTHING = {"qa.cli", "qa.evaluation", "qa.calibration"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in [*ROOT.glob("qa/**/*.py"), *ROOT.glob("embeddings/*.py"), ROOT / "app.py"]:
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """Every module of this project that ``path`` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name in MODULES}


GRAPH = {name: _imports(path) - {name} for name, path in MODULES.items()}


def _part(module: str) -> str:
    """The package or top-level module a module belongs to: ``qa.index.store`` -> ``qa.index``."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "qa" and len(parts) > 1 else parts[0]


def test_the_graph_is_read() -> None:
    """The rules below check something: the façade's imports are found, lazy ones included."""
    assert {"qa.index.collection", "qa.search.retrieval", "qa.answer.model"} <= GRAPH["qa.engine"]
    assert "embeddings.ray_embedder" in GRAPH["qa.engine"]  # imported inside a method
    assert len(MODULES) > 50


def test_no_import_circles() -> None:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(GRAPH[module]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)
    assert cycles == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("qa.") and _part(m) not in ANYTHING))
def test_stages_import_only_earlier_stages(module: str) -> None:
    part = _part(module)
    if part not in ALLOWED:
        pytest.fail(f"{module} belongs to {part}, which docs/architecture.md does not place; add it there and here")
    allowed = ALLOWED[part] | SHARED | {part}
    wrong = sorted(t for t in GRAPH[module] if t.startswith("qa.") and _part(t) not in allowed)
    assert wrong == [], f"{module} imports {wrong}; {part} may import {sorted(ALLOWED[part])}"


def test_embeddings_know_nothing_of_qa_and_nothing_imports_the_app() -> None:
    assert {m: sorted(t for t in GRAPH[m] if t.startswith("qa")) for m in GRAPH if m.startswith("embeddings")} == {
        m: [] for m in GRAPH if m.startswith("embeddings")
    }
    assert [m for m, targets in GRAPH.items() if "app" in targets] == []


def test_heavy_libraries_only_in_embeddings() -> None:
    heavy = {"faiss", "sentence_transformers"}
    offenders = []
    for name, path in MODULES.items():
        if name.startswith("embeddings"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            roots = []
            if isinstance(node, ast.Import):
                roots = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                roots = [node.module.split(".")[0]]
            offenders += [f"{name} imports {r}" for r in roots if r in heavy]
    assert offenders == []


def test_package_inits_hold_only_a_docstring_or_re_exports() -> None:
    for init in ROOT.glob("qa/*/__init__.py"):
        body = ast.parse(init.read_text(encoding="utf-8")).body
        kinds = {type(node).__name__ for node in body[1:]}
        assert isinstance(body[0], ast.Expr), f"{init} has no docstring"
        assert kinds <= {"ImportFrom", "Assign"}, f"{init} does more than re-export: {kinds}"
