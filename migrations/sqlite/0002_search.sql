-- Full-text search (src/search/). The index holds tokens made by the application
-- (src/search/text.rs), never raw text: the `ascii` tokenizer with `_` as a token character
-- splits them on spaces and changes nothing else, so SQLite and PostgreSQL match the same
-- tokens. Contentless (the text lives in `events` only), keyed by the event's rowid. No tenant
-- column: the search SQL joins `events` and filters by tenant there (a tenant token in the
-- MATCH expression would make bm25 count every document of the tenant on each search).
--
-- The rowid of `events` is implicit (its key is a text id): VACUUM may renumber it. Nothing in
-- Tributary runs VACUUM; an operator who does must re-index (delete the index rows and set
-- the `search_backfill` setting to '0 <max rowid>', which the next start acts on).
CREATE VIRTUAL TABLE events_fts USING fts5 (
    body,
    content = '',
    contentless_delete = 1,
    tokenize = "ascii tokenchars '_'"
);

-- Events leave the index with their row (a tenant's deletion cascades to its events).
CREATE TRIGGER events_fts_delete AFTER DELETE ON events BEGIN
    DELETE FROM events_fts WHERE rowid = old.rowid;
END;

-- Events stored before this migration are indexed when the store opens: remember which
-- (`<next rowid to index> <last rowid to index>`).
INSERT INTO settings (key, value)
SELECT 'search_backfill', '0 ' || MAX(rowid) FROM events HAVING COUNT(*) > 0;
