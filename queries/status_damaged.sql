-- status_damaged.sql: the inputs ingest found damaged and skips until they change.
-- Purpose: for `pftls status`: what a cron run leaves unread, and why.
-- Parameters: none.
-- Columns: path, damage (the error that made it damaged).
SELECT
  substr(key, 15) AS path,
  value AS damage
FROM settings
WHERE substr(key, 1, 14) = 'damaged_input:' AND value <> ''
ORDER BY key;
