// The decision chain of a packet in plain words, one line per packet, built from its trace
// record with the vocabulary's names (pipeline/vocabulary.h) and the rule ids traces print:
//
//   #5 203.0.113.10:51000 → 10.0.0.10:80 TCP  conntrack: new (syn-sent) → firewall: allowed
//      (rule web-to-pods) → forward: FORWARD routed to 10.0.0.10 via inside
//
// (one line in the output). Each step is "layer: word details": the word is the step's
// reason without its layer prefix (parse keeps the whole reason, whose prefix names the
// kind of fault), and the final step carries the outcome in capitals (FORWARD, ANSWER,
// CONSUME, STOP). A pass step without a reason (parse, every packet) is left out.
// Control core only.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dataplane/control/report.h"

namespace gauntlet {

// Which packets to explain: "all", or packet numbers (replay's seq, from 1) and ranges,
// "4,7-9".
class PacketSelection {
 public:
  // Returns nullopt and sets `error` when `text` is neither.
  static std::optional<PacketSelection> parse(std::string_view text, std::string& error);
  bool contains(uint64_t seq) const noexcept;

 private:
  bool all_ = false;
  std::vector<std::pair<uint64_t, uint64_t>> ranges_;  // inclusive
};

// "#5 203.0.113.10:51000 → 10.0.0.10:80 TCP": number, addresses, protocol.
std::string explain_packet(const Record& r);
// One step in words; `final`: the packet's last step.
std::string explain_step(const Step& st, bool final, const Record& r, const Tables& tables);
// The packet and its chain: explain_packet, two spaces, the steps joined by " → ".
std::string explain_line(const Record& r, const Tables& tables);

// Prints explain_line for each selected packet to `out` as the replay decides it.
class Explainer {
 public:
  Explainer(PacketSelection selection, FILE* out) : selection_(std::move(selection)), out_(out) {}
  // For ReplayOptions::observe; the Explainer must outlive the replay.
  TraceObserver observer();
  uint64_t printed() const noexcept { return printed_; }

 private:
  PacketSelection selection_;
  FILE* out_;
  uint64_t printed_ = 0;
};

}  // namespace gauntlet
