"""API routers, one module per area; ``create_app`` includes them all."""
