"""Renderings of result tables (Excel, HTML). No business logic: reports only lay out what the
engines computed, including their traces."""
