"""A sync run: the accounts fetched concurrently from hub/, stored through store/ in one transaction,
under a lock, within the rate limit; derivative counts refreshed stalest first."""
