"""Training the shipped classifiers from a data folder (``hegui model train``).

Needs the ``train`` extra (scipy). Everything is deterministic: the same data folder, corpus and seed
give the same model bytes (see ``build.py``).
"""
