"""Linked material: pages and PDFs that ingested documents link to, fetched politely
(``fetcher``, ``robots``), kept under ``corpus/linked/`` with a provenance record
(``provenance``), and ingested like any other file by the pipeline."""
