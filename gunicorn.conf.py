"""gunicorn settings read from the working directory (docs/operations.md): the access log leaves
out the tracking tokens of residents' requests (dangjian/core/logs.py)."""

logger_class = "dangjian.core.logs.GunicornLogger"
