"""The weekly one-page revenue report: its data, its HTML page and its JSON."""
