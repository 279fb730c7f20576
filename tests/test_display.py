"""Tables of the book's pages (companion.display)."""
import numpy as np
import pytest

from companion.display import markdown_table, table


def test_numbers_are_formatted_and_text_escaped():
    text = markdown_table([{"claim": "r* <= r_X", "value": np.float64(24.531057167711403),
                            "count": 13198}])
    assert "r\\* \\<= r\\_X" in text
    assert "24.53" in text and "24.531" not in text
    assert "13,198" in text
    assert text.splitlines()[1] == "|---|---:|---:|"


def test_formats_and_sequences():
    text = markdown_table([[0.5, "a|b"]], columns=["share", "name"], formats={"share": ".1%"})
    assert "| 50.0% | a\\|b |" in text
    with pytest.raises(ValueError, match="columns"):
        markdown_table([[1, 2]])
    with pytest.raises(ValueError, match="2 values for 3 columns"):
        markdown_table([[1, 2]], columns=["a", "b", "c"])
    with pytest.raises(ValueError, match="no value"):
        markdown_table([{"a": 1}, {"b": 2}])


def test_table_displays_as_markdown():
    t = table([{"n": 1}])
    assert t._repr_markdown_().startswith("| n |")
