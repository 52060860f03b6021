-- latest_ids.sql: the largest message, plaintext mark and outbound ids stored so far.
-- Purpose: an ingest run notes them before it writes, and afterwards counts
--   as new the incidents whose rows come after them (incidents.sql,
--   :after_message_id / :after_mark_id / :after_outbound_id): a cost that
--   follows what the run stored, not the size of the database. Three
--   primary-key look-ups.
-- Parameters: none.
-- Columns: messages, outbound, marks (0 when the table is empty).
SELECT
  coalesce((SELECT max(id) FROM messages), 0) AS messages,
  coalesce((SELECT max(id) FROM outbound), 0) AS outbound,
  coalesce((SELECT max(id) FROM plain_marks), 0) AS marks;
