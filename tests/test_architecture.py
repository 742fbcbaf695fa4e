"""The package layout holds: no import circle between modules or packages, each package imports only the ones
below it, no Qt in core/, few loose modules, small files, and light imports that stay light."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 400
MAX_LOOSE_CORE_MODULES = 7  # cli, __init__, __main__ and the leaf pieces many packages share

# Package -> the packages it may import (besides itself and the loose leaf modules of core/). Mirrors README's
# "Architecture" section; a new import across packages goes below the importer or into this table on purpose.
ALLOWED = {
    "core.skeleton": set(),
    "core.readers": {"core.skeleton"},
    "core.model": {"core.skeleton", "core.readers"},
    "core.training": {"core.skeleton", "core.readers", "core.model"},
    "core.live": {"core.skeleton", "core.readers", "core.model"},
    "core.clips": {"core.skeleton", "core.readers", "core.model", "core.live"},
    "core.benchmark": {"core.skeleton", "core.readers", "core.model", "core.training", "core.live", "core.clips"},
    "core.commands": {"core.skeleton", "core.readers", "core.model", "core.training", "core.live", "core.clips",
                      "core.benchmark"},
    "app": {"core.skeleton", "core.readers", "core.model", "core.live", "core.clips"},
}
LOOSE = {"core", "core.cli", "core.__main__", "core.errors", "core.paths", "core.metrics", "core.verbosity"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {module_name(path): path for folder in ("core", "app") for path in (PROJECT_ROOT / folder).rglob("*.py")}


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    """Every project module `path` imports, at the top or inside a function (`from a import b` counts a.b when
    b is a module, else a)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if f"{node.module}.{alias.name}" in modules:
                    found.add(f"{node.module}.{alias.name}")
                elif node.module in modules:
                    found.add(node.module)
    return found - {module_name(path)}


def package_of(module: str) -> str:
    """core.live.sources.replay -> core.live; app.widgets.timeline -> app; loose modules stay themselves."""
    parts = module.split(".")
    if parts[0] == "app":
        return "app"
    return module if module in LOOSE else ".".join(parts[:2])


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the directed graph as [a, b, ..., a], or None (depth-first search, colours)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return stack[stack.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def module_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(path, modules) for name, path in modules.items()}


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    packages: dict[str, set[str]] = {}
    for source, targets in graph.items():
        packages.setdefault(package_of(source), set()).update(
            package_of(t) for t in targets if package_of(t) != package_of(source))
    return packages


def test_cycle_finder_finds_a_planted_circle_and_passes_a_tree():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_no_import_circle_between_modules():
    cycle = find_cycle(module_graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_no_import_circle_between_packages():
    cycle = find_cycle(package_graph(module_graph()))
    assert cycle is None, "package circle: " + " -> ".join(cycle)


def test_each_package_imports_only_the_packages_below_it():
    for package, targets in package_graph(module_graph()).items():
        if package in LOOSE:
            continue
        assert package in ALLOWED, f"{package}: a package missing from the layout table"
        extra = {t for t in targets if t not in LOOSE} - ALLOWED[package]
        assert not extra, f"{package} imports {sorted(extra)}, which it may not (allowed: {sorted(ALLOWED[package])})"


def test_loose_modules_of_core_are_few_and_core_never_imports_qt():
    loose = sorted(p.name for p in (PROJECT_ROOT / "core").glob("*.py"))
    assert len(loose) <= MAX_LOOSE_CORE_MODULES, f"core/ has {len(loose)} loose modules: {loose}"
    for path in (PROJECT_ROOT / "core").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "PyQt6" not in text and "pyqtgraph" not in text, f"{path}: Qt belongs to app/"


def test_every_package_says_what_it_owns():
    for init in (PROJECT_ROOT / "core").glob("*/__init__.py"):
        docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert docstring and "import" in docstring.lower(), f"{init}: docstring must say what it owns and may import"


def test_no_source_file_is_over_the_line_limit():
    too_long = {}
    for folder in ("core", "app", "tests", "benchmarks"):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            count = len(path.read_text(encoding="utf-8").splitlines())
            if count > MAX_LINES:
                too_long[str(path.relative_to(PROJECT_ROOT))] = count
    assert not too_long, f"files over {MAX_LINES} lines: {too_long}"


LIGHT_IMPORTS = ("core.skeleton.preprocess", "core.skeleton.motion", "core.readers.datasets", "core.readers.labels",
                 "core.readers.label_presets", "core.live.sources", "core.live.ring_buffer", "core.clips.clip_folder")


@pytest.mark.parametrize("module", LIGHT_IMPORTS)
def test_light_modules_import_without_torch_or_qt(module):
    heavy = ("torch", "PyQt6", "cv2", "mediapipe", "sentence_transformers")
    code = f"import sys, {module}; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=PROJECT_ROOT).stdout.strip()
    assert not loaded, f"importing {module} loads {loaded}"


def test_command_line_parser_loads_no_torch():
    code = "import sys, core.cli; core.cli.build_parser(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT)
    assert out.stdout.strip() == "False", "`smie --help` would load torch"
