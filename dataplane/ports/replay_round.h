// Replay with several workers: one round (the packets one worker alone would take as one
// burst) split between the workers, each packet received by one and run by its owner.
#pragma once

#include <cstdint>
#include <vector>

#include "dataplane/pipeline/handoff.h"
#include "dataplane/pipeline/worker.h"

namespace gauntlet {

// Which worker a NIC would hand the packet to: a hash of its addresses and ports as they
// are, not symmetric, so that the handoff is exercised. Fragments by addresses only.
uint32_t receiving_worker(const uint8_t* frame, uint32_t len, uint32_t workers) noexcept;

// Runs `round` (at most kBurstSize packets, driver fields set) on `workers` (their tables
// set): `own` (one burst per worker), `handed` and `run` are scratch.
void replay_round(Burst& round, const std::vector<Worker*>& workers, HandoffMesh& mesh,
                  std::vector<Burst>& own, Burst& handed, Burst& run) noexcept;

}  // namespace gauntlet
