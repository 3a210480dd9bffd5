"""``nnscratch export MODEL digit.html`` on the command line: the suffix chooses the page, and
the options only ONNX files take are refused with it."""

from __future__ import annotations

from cli_runs import nnscratch
from nnscratch import Dense, Flatten, Sequential


def test_export_to_html_writes_one_page(tmp_path):
    Sequential([Flatten(), Dense(784, 10)], input_scale=1 / 255).save(tmp_path / "m.npz")
    done = nnscratch("export", "m.npz", "digit.HTML", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    size = (tmp_path / "digit.HTML").stat().st_size
    assert done.stdout == (
        f"wrote digit.HTML ({size:,} bytes): open it in a browser to draw digits, offline\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["digit.HTML", "m.npz"]


def test_onnx_options_are_refused_with_a_page(tmp_path):
    Sequential([Flatten(), Dense(784, 10)]).save(tmp_path / "m.npz")
    done = nnscratch(
        "export", "m.npz", "d.html", "--opset", "17", "--input-type", "uint8", cwd=tmp_path
    )
    assert done.returncode == 2
    assert done.stderr == (
        "nnscratch: error: --opset and --input-type apply to ONNX files (.onnx) only; an .html "
        "page takes neither\n"
    )
    assert not (tmp_path / "d.html").exists()
