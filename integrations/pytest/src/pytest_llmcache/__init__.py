"""pytest-llmcache: the OpenAI and Anthropic calls of a test suite recorded once and replayed
offline through llmcache, one recording file per test."""

__all__ = ["plugin"]
