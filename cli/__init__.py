"""The top of the stack: the `saphan` command line and start-up, which compose the domains."""
