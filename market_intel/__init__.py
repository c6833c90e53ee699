"""market-intel: compensation market intelligence from raw postings and salary reports."""
__version__ = "0.1.0"
