"""The office's report for a period: figures counted from storage, charts, a Word file."""
