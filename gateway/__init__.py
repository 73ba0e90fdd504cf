"""The FastAPI gateway: LINE webhooks, Rasa bridge, caseworker dashboard, simulator, APIs."""
