"""pages -> lab, never back: importing every lab module must not load Streamlit (nor Ray, an
optional extra loaded only when GENLAB_RAY is set)."""
import pkgutil
import subprocess
import sys
from pathlib import Path

import lab

ROOT = Path(__file__).resolve().parents[1]


def test_lab_never_imports_streamlit():
    modules = [m.name for m in pkgutil.walk_packages(lab.__path__, "lab.") if not m.name.endswith("__main__")]
    assert "lab.experiments.discriminator" in modules
    code = ("import importlib, sys\n"
            f"for name in {modules!r}:\n    importlib.import_module(name)\n"
            "print('streamlit' in sys.modules, 'ray' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False False"
