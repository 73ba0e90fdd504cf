"""Server-rendered caseworker dashboard (`dashboard.routes.router`, mounted by the gateway)."""
