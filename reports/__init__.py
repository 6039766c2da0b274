"""The report's files and text analysis: adapters over core.analytics and core.problems."""
