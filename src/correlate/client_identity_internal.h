// client_identity_internal: what tests may see of OrgDomains beyond its
// answers.
//
// Contract: OrgDomainsProbe::memo_hits(o) is how many answers of o came
// from its memo, not from libpsl.
#pragma once

#include <cstddef>

#include "correlate/client_identity.h"

namespace pftls {

struct OrgDomainsProbe {
  static std::size_t memo_hits(const OrgDomains& o) { return o.hits_; }
};

}  // namespace pftls
