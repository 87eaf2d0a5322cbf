// The body past the buffer (internal to dataplane/waf): streamed through the engine's
// body_stream database from the body's first byte, so a match may span the buffer's end.
// A flow's stream state lives compressed in its WafRequestState::stream_state between
// segments and is expanded into the worker's one open stream for each scan.
// Hot path: noexcept, no allocation.
#pragma once

#include <cstdint>
#include <span>

#include "dataplane/waf/waf_database.h"

namespace gauntlet {

// Opens the request's stream and matches the buffered prefix through it. false (and nothing
// open) when the engine has no body rules or the request has no stream_state.
bool waf_stream_start(const WafEngine& e, WafScratch& s, WafRequestState& st,
                      std::span<const uint8_t> prefix) noexcept;
// Matches `bytes` (the body's next bytes) in the open stream; without one (or when the
// engine changed since it was opened) they are counted in body_uninspected.
void waf_stream_feed(const WafEngine& e, WafScratch& s, WafRequestState& st,
                     std::span<const uint8_t> bytes) noexcept;
// The body ended: matches what only the end can complete (patterns anchored with `$`) and
// closes the stream.
void waf_stream_finish(const WafEngine& e, WafScratch& s, WafRequestState& st) noexcept;

}  // namespace gauntlet
