"""L4: security self-assessment (question banks, runner, judges, report). Not built yet."""
