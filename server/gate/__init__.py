"""The gate: visitors with the host's consent, early-leave passes and pick-up cards."""
