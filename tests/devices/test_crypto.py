import pytest
from hypothesis import given, strategies as st

from devices import crypto


@given(st.binary(min_size=0, max_size=64))
def test_base64url_round_trips_in_one_spelling(raw):
    assert crypto.b64decode(crypto.b64encode(raw)) == raw


@pytest.mark.parametrize("text", ["YWJj=", "YW+j", "YW/j", "YW jj", "Y", "YWJj\n", "YWI="])
def test_other_spellings_are_refused(text):
    with pytest.raises(crypto.BadKey):
        crypto.b64decode(text)


def test_a_non_canonical_spelling_of_the_same_bytes_is_refused():
    # "YR" and "YQ" both decode to b"a" with lenient decoders; only "YQ" is canonical.
    assert crypto.b64decode("YQ") == b"a"
    with pytest.raises(crypto.BadKey):
        crypto.b64decode("YR")
