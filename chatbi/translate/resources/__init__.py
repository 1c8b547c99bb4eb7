"""Per-language grammar resources of the offline translator (YAML files next to this module)."""
