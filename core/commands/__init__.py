"""Sub-commands of the `smie` command line."""
