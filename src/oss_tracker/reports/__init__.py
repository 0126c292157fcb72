"""How the history is read: queries that turn the database into a plain report model
(model.py), one module a report. Never asks the Hub."""
