// Compiled Hyperscan databases cached on disk. Compiling the shipped rule set takes seconds;
// a restart, a reload or another test process with the same rules loads the same database in
// milliseconds instead.
//
// Key: XXH64 over Hyperscan's version, this CPU's platform (hs_populate_platform), the mode
// and every expression with its flags and id. Place: $GAUNTLET_WAF_CACHE (a directory; "off"
// turns the cache off), else $XDG_CACHE_HOME/gauntlet, else $HOME/.cache/gauntlet. A file is
// written under a temporary name and renamed, so a concurrent reader sees all of it or none;
// one that does not deserialise (damaged, another Hyperscan) is compiled again and replaced.
// Any failure of the cache itself only costs the compile. Control core only.
#pragma once

#include <hs/hs.h>

namespace gauntlet {

// hs_compile_multi with the cache in front (same arguments and results).
hs_error_t compile_multi_cached(const char* const* expressions, const unsigned* flags,
                                const unsigned* ids, unsigned count, unsigned mode,
                                hs_database_t** db, hs_compile_error_t** error);

}  // namespace gauntlet
