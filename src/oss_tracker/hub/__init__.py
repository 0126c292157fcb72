"""Where data enters: the Hub (huggingface_hub under our transport), recordings, and their answers
parsed into plain records. Knows HTTP; nothing of SQLite, syncs or reports."""
