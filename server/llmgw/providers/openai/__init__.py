"""OpenAI Chat Completions wire protocol (also every OpenAI-compatible engine)."""
