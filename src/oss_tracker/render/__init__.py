"""How a report is shown: table, JSON, CSV, Markdown and charts, from the report model alone;
never touches the database."""
