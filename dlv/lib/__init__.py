"""Small shared pieces: errors, crypto helpers."""
