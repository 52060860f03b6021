// sqlite_columns: each stored record's columns, named once, with the one
// function that binds a record in that order and the one that reads it back.
//
// Contract: kXxxColumns lists the columns of a record in bind order; the
// tables that hold the record (queries/schema.sql) have these columns.
// bind_xxx(st, first, r) binds them as parameters first, first+1, ...;
// read_xxx(st, first) reads them from result columns first, first+1, ...
// Text is bound without a copy (Statement::bind_kept): the record must
// outlive the statement's step. Lists of addresses are stored one per line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "correlate/records.h"
#include "input/input_catalog.h"
#include "store/sqlite_db.h"
#include "store/store.h"

namespace pftls {

// "INSERT INTO table (columns) VALUES (?1, ..., ?N)".
std::string insert_sql(std::string_view table, std::string_view columns);
// "UPDATE table SET c1 = ?1, ..., cN = ?N WHERE key = ?N+1".
std::string update_sql(std::string_view table, std::string_view columns, std::string_view key);
int column_count(std::string_view columns);

std::string join_lines(const std::vector<std::string>& v);
std::vector<std::string> split_lines(const std::string& text);

inline constexpr std::string_view kSessionColumns =
    "mx_host, syslog_name, pid, client_ip, client_name, connect_at, end_at, first_ord, failed, "
    "failure_at, failure_ord, failure_reason, openssl_code, tls, tls_at, tls_ord, "
    "counters_present, starttls_attempts, starttls_ok, messages, client_subnet, org_domain";
// kForQueries: what is unknown is NULL (table sessions); kExact: every
// field as it is, so that read_session() gives the same record back.
enum class Nulls { kForQueries, kExact };
void bind_session(Statement& st, int first, const SessionRecord& s, Nulls nulls);
SessionRecord read_session(const Statement& st, int first);

inline constexpr std::string_view kMessageColumns =
    "session_id, mx_host, queue_id, client_ip, client_name, accepted_at, accepted_ord, "
    "message_id, sender, recipients, client_subnet, org_domain";
void bind_message(Statement& st, int first, const MessageRecord& m, const std::string& recipients);
MessageRecord read_message(const Statement& st, int first);

inline constexpr std::string_view kOutboundColumns =
    "mx_host, queue_id, relay_name, relay_ip, relay_port, failure_at, failure_ord, "
    "failure_reason, openssl_code, failed_attempts, plaintext_at, plaintext_ord, recipients, "
    "fallback_seen";
void bind_outbound(Statement& st, int first, const OutboundRecord& r,
                   const std::string& recipients);
OutboundRecord read_outbound(const Statement& st, int first);

inline constexpr std::string_view kPendingFailureColumns =
    "mx_host, syslog_name, pid, relay_name, relay_ip, relay_port, failure_at, failure_ord, "
    "failure_reason, openssl_code, seen_at";
void bind_pending_failure(Statement& st, int first, const OutboundPendingFailure& f);
OutboundPendingFailure read_pending_failure(const Statement& st, int first);

inline constexpr std::string_view kInputColumns =
    "path, fingerprint, device, inode, offset, lines, year, last_month, complete, pending_bytes, "
    "size, mtime, last_read_at";
void bind_input(Statement& st, int first, const InputRecord& r);
InputRecord read_input(const Statement& st, int first);

inline constexpr std::string_view kRunColumns =
    "started_at, finished_at, inputs, lines, postfix_lines, unrecognised, malformed, truncated, "
    "sessions, failures, messages, new_incidents";
// DropCounts, in the runs table after kRunColumns.
inline constexpr std::string_view kDropColumns =
    "evicted_sessions, evicted_messages, evidence_dropped, watch_full, clients_flushed, "
    "outbound_evicted_failures, outbound_evicted_messages, outbound_dropped";
void bind_run(Statement& st, int first, const RunRecord& r);

}  // namespace pftls
