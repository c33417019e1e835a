"""Anonymous reports for analysts: count-only aggregates, small-count suppression, charts."""
