// sqlite_columns: the field tables of the stored records, and SQL text
// built from them.
#include "store/sqlite_columns.h"

namespace pftls {
namespace {

using S = SessionRecord;
// What is unknown in a session is NULL in table sessions.
constexpr bool connected(const S& s) { return s.connect_at != 0; }
constexpr bool ended(const S& s) { return s.end_at != 0; }
constexpr bool failed(const S& s) { return s.failed; }
constexpr bool has_code(const S& s) { return !s.openssl_code.empty(); }
constexpr bool tls(const S& s) { return s.tls; }
constexpr bool counted(const S& s) { return s.starttls_attempts >= 0; }
constexpr bool counted_ok(const S& s) { return s.starttls_ok >= 0; }

constexpr Field<S> kSession[] = {
    {"mx_host", &S::mx_host},
    {"syslog_name", &S::syslog_name},
    {"pid", &S::pid},
    {"client_ip", &S::client_ip},
    {"client_name", &S::client_name},
    {"connect_at", &S::connect_at, connected},
    {"end_at", &S::end_at, ended},
    {"first_ord", &S::first_ord},
    {"failed", &S::failed},
    {"failure_at", &S::failure_at, failed},
    {"failure_ord", &S::failure_ord, failed},
    {"failure_reason", &S::failure_reason, failed},
    {"openssl_code", &S::openssl_code, has_code},
    {"tls", &S::tls},
    {"tls_at", &S::tls_at, tls},
    {"tls_ord", &S::tls_ord, tls},
    {"counters_present", &S::counters_present},
    {"starttls_attempts", &S::starttls_attempts, counted},
    {"starttls_ok", &S::starttls_ok, counted_ok},
    {"messages", &S::messages},
    {"client_subnet", &S::client_subnet},
    {"org_domain", &S::org_domain},
};

using M = MessageRecord;
constexpr Field<M> kMessage[] = {
    {"session_id", &M::session_id},
    {"mx_host", &M::mx_host},
    {"queue_id", &M::queue_id},
    {"client_ip", &M::client_ip},
    {"client_name", &M::client_name},
    {"accepted_at", &M::accepted_at},
    {"accepted_ord", &M::accepted_ord},
    {"message_id", &M::message_id},
    {"sender", &M::sender},
    {"recipients", &M::recipients},
    {"client_subnet", &M::client_subnet},
    {"org_domain", &M::org_domain},
};

using O = OutboundRecord;
constexpr Field<O> kOutbound[] = {
    {"mx_host", &O::mx_host},           {"queue_id", &O::queue_id},
    {"relay_name", &O::relay_name},     {"relay_ip", &O::relay_ip},
    {"relay_port", &O::relay_port},     {"failure_at", &O::failure_at},
    {"failure_ord", &O::failure_ord},   {"failure_reason", &O::failure_reason},
    {"openssl_code", &O::openssl_code}, {"failed_attempts", &O::failed_attempts},
    {"plaintext_at", &O::plaintext_at}, {"plaintext_ord", &O::plaintext_ord},
    {"recipients", &O::recipients},     {"fallback_seen", &O::fallback_seen},
};

using PF = OutboundPendingFailure;
constexpr Field<PF> kPendingFailure[] = {
    {"mx_host", &PF::mx_host},
    {"syslog_name", &PF::syslog_name},
    {"pid", &PF::pid},
    {"relay_name", &PF::relay_name},
    {"relay_ip", &PF::relay_ip},
    {"relay_port", &PF::relay_port},
    {"failure_at", &PF::failure_at},
    {"failure_ord", &PF::failure_ord},
    {"failure_reason", &PF::failure_reason},
    {"openssl_code", &PF::openssl_code},
    {"seen_at", &PF::seen_at},
};

using PM = OutboundPendingMessage;
constexpr Field<PM> kPendingMessage[] = {
    {"syslog_name", &PM::syslog_name}, {"pid", &PM::pid},
    {"attempt_ord", &PM::attempt_ord}, {"fallback_open", &PM::fallback_open},
    {"seen_at", &PM::seen_at},
};

using I = InputRecord;
constexpr Field<I> kInput[] = {
    {"path", &I::path},
    {"fingerprint", &I::fingerprint, nullptr, true},
    {"device", &I::device},
    {"inode", &I::inode},
    {"offset", &I::offset},
    {"lines", &I::lines},
    {"year", &I::year},
    {"last_month", &I::last_month},
    {"complete", &I::complete},
    {"pending_bytes", &I::pending_bytes},
    {"size", &I::size},
    {"mtime", &I::mtime},
    {"last_read_at", &I::last_read_at},
};

using R = RunRecord;
constexpr Field<R> kRun[] = {
    {"started_at", &R::started_at},
    {"finished_at", &R::finished_at},
    {"inputs", &R::inputs},
    {"lines", &R::lines},
    {"postfix_lines", &R::postfix_lines},
    {"unrecognised", &R::unrecognised},
    {"malformed", &R::malformed},
    {"truncated", &R::truncated},
    {"sessions", &R::sessions},
    {"failures", &R::failures},
    {"messages", &R::messages},
    {"new_incidents", &R::new_incidents},
};

using D = DropCounts;
constexpr Field<D> kDrops[] = {
    {"evicted_sessions", &D::evicted_sessions},
    {"evicted_messages", &D::evicted_messages},
    {"evidence_dropped", &D::evidence_dropped},
    {"watch_full", &D::watch_full},
    {"clients_flushed", &D::clients_flushed},
    {"outbound_evicted_failures", &D::outbound_evicted_failures},
    {"outbound_evicted_messages", &D::outbound_evicted_messages},
    {"outbound_dropped", &D::outbound_dropped},
};

}  // namespace

Fields<SessionRecord> session_fields() { return kSession; }
Fields<MessageRecord> message_fields() { return kMessage; }
Fields<OutboundRecord> outbound_fields() { return kOutbound; }
Fields<OutboundPendingFailure> pending_failure_fields() { return kPendingFailure; }
Fields<OutboundPendingMessage> pending_message_fields() { return kPendingMessage; }
Fields<InputRecord> input_fields() { return kInput; }
Fields<RunRecord> run_fields() { return kRun; }
Fields<DropCounts> drop_fields() { return kDrops; }

std::string insert_sql(std::string_view table, const std::string& columns, int count) {
  std::string sql = "INSERT INTO " + std::string(table) + " (" + columns + ") VALUES (";
  for (int i = 1; i <= count; ++i) sql += (i > 1 ? ", ?" : "?") + std::to_string(i);
  return sql + ")";
}

std::string join_lines(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out.push_back('\n');
    out += s;
  }
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  for (std::size_t pos = 0; !text.empty() && pos <= text.size();) {
    std::size_t nl = text.find('\n', pos);
    out.push_back(text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return out;
}

}  // namespace pftls
