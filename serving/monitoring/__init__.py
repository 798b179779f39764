"""Monitoring of a running Shouhu (`shouhu monitor`, the 县民政 dashboard, `/metrics` gauges): the feeds, the
model's inputs and scores, the issued lists' realised quality, caseworkers' use of the lists and who is
selected. Figures are computed where the data is — the warehouse through Ibis/DuckDB, the service database
through SQL — and kept as history in the service database (`monitor_runs`, `monitor_values`)."""
