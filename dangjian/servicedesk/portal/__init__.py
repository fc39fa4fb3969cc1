"""The resident portal: asking for help, following a request, confirming and rating it."""
