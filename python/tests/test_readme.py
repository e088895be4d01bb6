"""python/README.md's embedded example runs as written (in a temporary directory)."""

import os
import re

from support import REPO


def test_readme_embedded_example(tmp_path, monkeypatch, capsys):
    text = open(os.path.join(REPO, "python", "README.md")).read()
    example = re.findall(r"```python\n(.*?)```", text, re.S)[0]
    monkeypatch.chdir(tmp_path)
    exec(compile(example, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "window" in printed and "acc" in printed
