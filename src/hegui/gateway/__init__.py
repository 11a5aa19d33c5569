"""L5: HTTP adapters (FastAPI). OpenAI-compatible endpoints, labeling endpoints, health."""
