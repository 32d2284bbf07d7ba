"""Load generators and benchmarks for Huitang (see bench/README.md).

Run them as modules from the project root, e.g. ``.venv/bin/python -m bench.fanout --clients 3000``.
"""
