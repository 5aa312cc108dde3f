"""HTTP API and web page over the matcher library."""
