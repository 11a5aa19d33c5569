"""L2: labeling toolkit (GB 45438): explicit and implicit labels. No web, DB or CLI imports."""
