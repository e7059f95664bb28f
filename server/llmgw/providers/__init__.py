"""Backend adapters: domain <-> vendor wire. The only package that speaks HTTP."""
