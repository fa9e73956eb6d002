// The shared test policy and catalog snapshot for the rewriter tests, benchmarks and fuzzer:
//   public.users     soft   (deleted_at, deleted_by, deleted_reason)
//   public.comments  soft   (removed_at; no deleted_by/reason)
//   public."Notes"   soft   (quoted, mixed-case name)
//   public.orders    archive -> public.orders_archive
//   public.sessions  hard + audit (primary key token)
//   public.events    hard, no audit
//   public.products  unmanaged (not in the snapshot: its name matches no managed table)
//   reporting.users  a view named like the managed table, in another schema
//   other.users      an unmanaged table named like the managed one
//   evil.users       a view named like it, showing all of public.users (marker included)
#pragma once

#include "config/config.h"
#include "parser/catalog.h"
#include "parser/rewriter.h"

namespace tombstone::parser::testing {

config::Config test_config();
Catalog test_catalog();
SessionState user_session();   // session_user "app", search_path "$user", public
SessionState admin_session();  // admin, visibility all

}  // namespace tombstone::parser::testing
