import pytest

from incidents.kernel.json_depth import (
    MAX_JSON_DEPTH,
    JsonTooDeep,
    json_depth_exceeds,
    loads_limited,
)


def nested(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


def test_depth_up_to_the_limit_decodes():
    assert loads_limited(nested(MAX_JSON_DEPTH)) is not None
    assert loads_limited('{"a": {"b": [1, {"c": 2}]}}') == {"a": {"b": [1, {"c": 2}]}}


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1_000, 100_000])
def test_deeper_is_refused_naming_the_limit(depth):
    with pytest.raises(JsonTooDeep, match=f"nested deeper than {MAX_JSON_DEPTH} levels"):
        loads_limited(nested(depth))


def test_brackets_inside_strings_do_not_count():
    text = '{"a": "' + "[{" * 500 + '\\"[[[", "b": ["]]]]"]}'
    assert not json_depth_exceeds(text)
    assert loads_limited(text)["b"] == ["]]]]"]


def test_siblings_do_not_add_up():
    assert not json_depth_exceeds("[" + ",".join([nested(MAX_JSON_DEPTH - 1)] * 200) + "]")
    assert json_depth_exceeds('{"a": ' + nested(MAX_JSON_DEPTH) + "}")
