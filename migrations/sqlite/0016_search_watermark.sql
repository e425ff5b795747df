-- The search index moves off the commit (src/store/sqlite/search_index.rs): an indexer task
-- writes the FTS rows of events above this watermark, the highest rowid it has indexed. Every
-- event stored before this migration was indexed in its own commit (or is in the
-- `search_backfill` range, indexed when the store opens): the watermark starts at the
-- largest rowid.
INSERT INTO settings (key, value)
SELECT 'search_indexed', CAST(COALESCE(MAX(rowid), 0) AS TEXT) FROM events;
