"""L3: training-data governance (sources, corpus scanning, annotation, filing dossier). Not built yet."""
