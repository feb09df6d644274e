"""docs/python.md stays true: its worked example prints what the page says, and every name its
table lists exists."""
import contextlib
import io
import re

import cogmap


def test_worked_example_prints_what_the_page_says(repo):
    page = (repo / "docs" / "python.md").read_text()
    m = re.search(r"```python\n(.*?)```\s*\nprints\s*\n\s*```text\n(.*?)```", page, re.S)
    assert m, "docs/python.md: expected a ```python block followed by 'prints' and a ```text block"
    code, want = m.group(1), m.group(2)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "docs/python.md", "exec"), {"__name__": "docs_example"})
    assert out.getvalue() == want


def test_every_name_in_the_table_exists(repo):
    page = (repo / "docs" / "python.md").read_text()
    rows = re.findall(r"^\| `cogmap\.(\w+)` \|[^|]*\| (.*) \|$", page, re.M)
    assert len(rows) >= 4
    for module, names in rows:
        mod = getattr(cogmap, module)
        for name in re.findall(r"`(\w+)", names):
            assert hasattr(mod, name), f"docs/python.md lists cogmap.{module}.{name}"
