"""Stage 4-5: the domain rules and every decision about the DR site, taken once."""
