"""L0: shared types, risk taxonomy, errors, settings, registry. Imports nothing else of hegui."""
