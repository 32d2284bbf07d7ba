"""One JSON encoding for everything that goes over a socket: compact, UTF-8 kept as text."""

import json


def dumps(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str)
