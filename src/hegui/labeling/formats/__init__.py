"""One module per file format; each registers a Labeler with @register_labeler."""
