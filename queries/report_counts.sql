-- report_counts.sql: the counts `pftls report` shows, for a period and the
--   one of the same length before it.
-- Purpose: inbound sessions by TLS state, failed STARTTLS sessions by
--   reason, outbound fallbacks by reason, and the protocol and cipher mix.
-- Parameters: :since_us / :until_us (the period, [since, until)),
--   :prev_since_us (the previous period is [prev_since, since)).
-- Columns: sort_key (the section's place), section ('sessions', 'failures',
--   'fallbacks', 'protocol', 'cipher'), direction ('in', 'out'), label (a TLS
--   state, reason, protocol or cipher; '' for a TLS session whose parameters
--   the log does not say), period_count, previous_count.
-- Bounds of the data: sessions come from session_days, kept per UTC day: a
--   day counts in the period that holds its noon (a 24-hour period gives
--   one whole day). The protocol and cipher mix is over the whole database
--   (tls_inventory keeps no time but first and last seen): previous_count
--   is NULL there. It is read from tls_mix, the inventory's totals per
--   direction, protocol and cipher (a few hundred rows): a table kept at
--   ingest in SQLite, a view summing the inventory in PostgreSQL.
SELECT 1 AS sort_key, 'sessions' AS section, 'in' AS direction, tls_state AS label,
  CAST(sum(CASE WHEN (day + 43200) * 1000000 >= :since_us THEN sessions ELSE 0 END) AS BIGINT)
    AS period_count,
  CAST(sum(CASE WHEN (day + 43200) * 1000000 < :since_us THEN sessions ELSE 0 END) AS BIGINT)
    AS previous_count
FROM session_days
WHERE (day + 43200) * 1000000 >= :prev_since_us AND (day + 43200) * 1000000 < :until_us
GROUP BY tls_state
UNION ALL
SELECT 2, 'failures', 'in', coalesce(failure_reason, ''),
  CAST(sum(CASE WHEN failure_at >= :since_us THEN 1 ELSE 0 END) AS BIGINT),
  CAST(sum(CASE WHEN failure_at < :since_us THEN 1 ELSE 0 END) AS BIGINT)
FROM sessions
WHERE failed = 1 AND failure_at >= :prev_since_us AND failure_at < :until_us
GROUP BY coalesce(failure_reason, '')
UNION ALL
SELECT 3, 'fallbacks', 'out', failure_reason,
  CAST(sum(CASE WHEN plaintext_at >= :since_us THEN 1 ELSE 0 END) AS BIGINT),
  CAST(sum(CASE WHEN plaintext_at < :since_us THEN 1 ELSE 0 END) AS BIGINT)
FROM outbound
WHERE plaintext_at >= :prev_since_us AND plaintext_at < :until_us
GROUP BY failure_reason
UNION ALL
SELECT 4, 'protocol', direction, protocol, CAST(sum(sessions) AS BIGINT), CAST(NULL AS BIGINT)
FROM tls_mix GROUP BY direction, protocol
UNION ALL
SELECT 5, 'cipher', direction, cipher, CAST(sum(sessions) AS BIGINT), CAST(NULL AS BIGINT)
FROM tls_mix WHERE protocol <> '' GROUP BY direction, cipher
ORDER BY sort_key, direction, period_count DESC, previous_count DESC, label;
