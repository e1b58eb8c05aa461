"""Reading and writing files: atomic writes, text and JSON with their positions."""
