"""Small helpers the entry points share."""
