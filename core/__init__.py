"""The ground floor: shared mechanisms that import no domain package."""
