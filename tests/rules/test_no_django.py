"""The domain rules are pure: no Django, nothing outside the standard library."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RULE_FILES = [ROOT / "signin" / "quorum_rule.py", *sorted((ROOT / "voting" / "rules").glob("*.py"))]
# Absolute imports the rule modules may make besides the standard library.
OWN = {"voting", "signin"}


def imported_modules(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, 0
        elif isinstance(node, ast.ImportFrom):
            yield node.module or "", node.level
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__":
            yield "__import__", 0


def test_the_rule_files_exist():
    names = {p.name for p in RULE_FILES}
    assert {"quorum_rule.py", "__init__.py", "threshold.py", "motion.py", "appointment.py",
            "election.py", "livelihood.py"} <= names  # fmt: skip


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_django_and_only_stdlib(path):
    for module, level in imported_modules(path):
        assert module != "__import__", f"{path.name}: dynamic import"
        if level:  # relative import: another rule module
            assert path.parent.name == "rules", f"{path.name}: relative import outside voting.rules"
            continue
        top = module.split(".")[0]
        assert top != "django", f"{path.name} imports {module}"
        if top in OWN:
            assert module.startswith(("voting.rules", "signin.quorum_rule")), f"{path.name} imports {module}"
            continue
        assert top in sys.stdlib_module_names, f"{path.name} imports non-stdlib {module}"


def test_importing_the_rules_loads_no_django():
    code = (
        "import sys, signin.quorum_rule, voting.rules; "
        "import voting.rules.threshold, voting.rules.motion, voting.rules.appointment, "
        "voting.rules.election, voting.rules.livelihood; "
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
