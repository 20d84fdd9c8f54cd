"""Write documents/<Name>.json from documents/scripts/ and hadrill.params.

Run: .venv/bin/python documents/build.py   (tests/scripts/test_documents.py fails when they drift)
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "lambdas"))
sys.path.insert(0, str(HERE.parent))

from documents.ssm_documents import DOCUMENTS, render, render_readme  # noqa: E402


def main() -> None:
    for document in DOCUMENTS:
        target = HERE / f"{document.name}.json"
        target.write_text(render(document, HERE / "scripts"))
        print(f"wrote {target.relative_to(HERE.parent)}")
    (HERE / "README.md").write_text(render_readme(HERE / "scripts"))
    print("wrote documents/README.md")


if __name__ == "__main__":
    main()
