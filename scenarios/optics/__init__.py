"""Study: optical line tap detection scenarios."""
