"""Input and output at the edges: the exchange format on disk (Excel, CSV) and the database."""
