"""L5: staff and user console (complaints, data requests, consent). Not built yet."""
