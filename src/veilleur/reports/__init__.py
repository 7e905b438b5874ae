"""Monthly client reports: figures from the accounting engine, drawn as HTML and PDF."""
