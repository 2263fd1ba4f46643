"""scripts/recipe_table.py: the README's recipe table from run folders (mean +- sd over seeds, best FD first)."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))
import recipe_table  # noqa: E402


def _run(root, name, fd, seconds, shares=(0.1,) * 10):
    folder = root / name
    folder.mkdir()
    scores = {"fd": fd, "precision": 0.5, "recall": 0.6, "coverage": 0.4, "class_histogram": list(shares)}
    (folder / "eval.json").write_text(json.dumps({"generator": scores}))
    (folder / "metrics.jsonl").write_text("\n".join(json.dumps({"step": s, "seconds": s * seconds / 2})
                                                    for s in (1, 2)) + "\n")
    return str(folder)


def test_candidates_are_grouped_by_name_and_sorted_by_mean_fd(tmp_path, capsys):
    folders = [_run(tmp_path, "plain-s0", 300.0, 100), _run(tmp_path, "plain-s1", 280.0, 120),
               _run(tmp_path, "r1-s0", 200.0, 150, shares=(0.05,) * 5 + (0.15,) * 5)]
    (tmp_path / "broken-s0").mkdir()  # no eval.json: skipped, with a note
    lines = recipe_table.table(folders + [str(tmp_path / "broken-s0")])
    assert lines[2] == "| r1 | 0 | 200.0 | 0.500 | 0.600 | 0.400 | 5.0%-15.0% | 150 s |"
    assert lines[3] == "| plain | 0, 1 | 290.0 +- 14.1 | 0.500 +- 0.000 | 0.600 +- 0.000 | 0.400 +- 0.000 | " \
                       "10.0%-10.0% | 110 +- 14 s |"
    assert len(lines) == 4 and "broken-s0: no eval.json" in capsys.readouterr().err
