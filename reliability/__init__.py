"""Load, soak and fault-injection measurements of the full local stack (scripts that print)."""
