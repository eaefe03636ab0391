"""ccplot: plots and reports from ccbench / ccsim JSON (schema 1). Entry point: scripts/plot.py."""
