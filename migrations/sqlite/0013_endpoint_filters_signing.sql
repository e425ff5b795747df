-- Webhooks II (#17). `filter`: a search query (the language of `q`, src/search/parse.rs) an
-- event must match, besides `event_types`, to be delivered to the endpoint; NULL: none. It is
-- evaluated in Rust when each event is stored (src/search/matcher.rs), never in SQL.
--
-- Asymmetric signatures (`v1a`, ed25519) need no column: the scheme is told by the secret's
-- prefix (`whsec_` signs v1, a `whsk_` secret key signs v1a, in `secret` and
-- `previous_secret` alike), so a key and its scheme can never disagree, and a rotation from
-- one scheme to the other is an ordinary rotation.
ALTER TABLE webhook_endpoints ADD COLUMN filter TEXT;
