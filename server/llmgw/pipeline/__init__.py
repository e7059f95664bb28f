"""Request policies over domain types: routing, execution, settlement."""
