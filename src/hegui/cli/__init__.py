"""L7: the ``hegui`` command line (Typer + Rich). Thin: parses, calls the library, prints."""
