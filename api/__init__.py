"""The outermost layer of kaiteki: settings, the FastAPI application and the ``kaiteki`` CLI."""
