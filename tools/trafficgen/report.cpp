// Human-readable and JSON output of the traffic generator (see report.h).
#include "tools/trafficgen/report.h"

namespace trafficgen {

namespace {

void print_trial(const char* name, const TrialResult& t, double avg_frame, double avg_payload,
                 FILE* out) {
  const double mpps = t.offered_pps > 0 ? t.offered_pps / 1e6 : t.tx_pps() / 1e6;
  // Gbps of frames as offered (FCS included, as line rates are quoted).
  const double gbps = mpps * 1e6 * (avg_frame + 4) * 8 / 1e9;
  std::fprintf(
      out,
      "%-5s %9.3f Mpps %7.3f Gbps  sent %10llu  received %10llu  lost %8llu (%.4f%%)  "
      "unsent %llu  reordered %llu  latency us min %.1f avg %.1f p50 %.1f p99 %.1f p99.9 %.1f "
      "max %.1f\n",
      name, mpps, gbps, static_cast<unsigned long long>(t.sent),
      static_cast<unsigned long long>(t.received), static_cast<unsigned long long>(t.lost()),
      t.loss_ratio() * 100, static_cast<unsigned long long>(t.unsent),
      static_cast<unsigned long long>(t.reordered), t.latency_min_ns / 1e3, t.latency_avg_ns / 1e3,
      t.latency_p50_ns / 1e3, t.latency_p99_ns / 1e3, t.latency_p999_ns / 1e3,
      t.latency_max_ns / 1e3);
  if (avg_payload > 0)
    std::fprintf(out, "      HTTP payload %.3f Gbps offered, %.3f Gbps received\n",
                 mpps * 1e6 * avg_payload * 8 / 1e9,
                 t.elapsed_s > 0 ? t.received * avg_payload * 8 / t.elapsed_s / 1e9 : 0.0);
}

void json_trial(const char* name, const TrialResult& t, double avg_frame, double avg_payload,
                FILE* f, bool last) {
  const double pps = t.offered_pps > 0 ? t.offered_pps : t.tx_pps();
  std::fprintf(
      f,
      "  \"%s\": {\"offered_pps\": %.0f, \"mpps\": %.6f, \"gbps\": %.6f, "
      "\"http_payload_gbps\": %.6f, \"sent\": %llu, "
      "\"received\": %llu, \"lost\": %llu, \"loss_ratio\": %.8f, \"reordered\": %llu, "
      "\"tx_refused\": %llu, \"unsent\": %llu, \"late\": %llu, \"in_flight_max\": %llu, "
      "\"elapsed_s\": %.6f, "
      "\"latency_ns\": {\"min\": "
      "%.0f, "
      "\"avg\": %.0f, \"p50\": %.0f, \"p99\": %.0f, \"p99_9\": %.0f, \"max\": %.0f}}%s\n",
      name, t.offered_pps, pps / 1e6, pps * (avg_frame + 4) * 8 / 1e9, pps * avg_payload * 8 / 1e9,
      static_cast<unsigned long long>(t.sent), static_cast<unsigned long long>(t.received),
      static_cast<unsigned long long>(t.lost()), t.loss_ratio(),
      static_cast<unsigned long long>(t.reordered), static_cast<unsigned long long>(t.tx_refused),
      static_cast<unsigned long long>(t.unsent), static_cast<unsigned long long>(t.late),
      static_cast<unsigned long long>(t.in_flight_max), t.elapsed_s, t.latency_min_ns,
      t.latency_avg_ns, t.latency_p50_ns, t.latency_p99_ns, t.latency_p999_ns, t.latency_max_ns,
      last ? "" : ",");
}

}  // namespace

void print_report(const RunReport& r, FILE* out) {
  std::fprintf(out, "frames: %zu templates, %.1f bytes on average (without FCS); line rate %s\n",
               r.templates, r.avg_frame_bytes,
               r.line_pps ? (std::to_string(r.line_pps / 1e6) + " Mpps").c_str() : "unknown");
  if (!r.has_search) {
    print_trial("run", r.single, r.avg_frame_bytes, r.avg_payload_bytes, out);
    return;
  }
  print_trial("max", r.search.max, r.avg_frame_bytes, r.avg_payload_bytes, out);
  if (r.search.ndr.offered_pps > 0)
    print_trial("NDR", r.search.ndr, r.avg_frame_bytes, r.avg_payload_bytes, out);
  else
    std::fputs("NDR   none: every trial lost packets\n", out);
  if (r.search.pdr.offered_pps > 0)
    print_trial("PDR", r.search.pdr, r.avg_frame_bytes, r.avg_payload_bytes, out);
  else
    std::fputs("PDR   none: every trial lost more than the tolerance\n", out);
  if (r.search.confirm.sent)
    print_trial("conf", r.search.confirm, r.avg_frame_bytes, r.avg_payload_bytes, out);
  std::fprintf(out, "trials: %zu\n", r.search.trials.size());
}

bool write_json(const RunReport& r, const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return false;
  std::fprintf(f, "{\n  \"avg_frame_bytes\": %.3f,\n  \"line_pps\": %.0f,\n", r.avg_frame_bytes,
               r.line_pps);
  if (!r.has_search) {
    json_trial("run", r.single, r.avg_frame_bytes, r.avg_payload_bytes, f, true);
  } else {
    json_trial("max", r.search.max, r.avg_frame_bytes, r.avg_payload_bytes, f, false);
    json_trial("ndr", r.search.ndr, r.avg_frame_bytes, r.avg_payload_bytes, f, false);
    json_trial("pdr", r.search.pdr, r.avg_frame_bytes, r.avg_payload_bytes, f, false);
    json_trial("confirm", r.search.confirm, r.avg_frame_bytes, r.avg_payload_bytes, f, false);
    std::fputs("  \"trials\": [\n", f);
    for (size_t i = 0; i < r.search.trials.size(); ++i) {
      const TrialResult& t = r.search.trials[i];
      std::fprintf(
          f,
          "    {\"offered_pps\": %.0f, \"tx_pps\": %.0f, \"sent\": %llu, "
          "\"received\": %llu, \"unsent\": %llu, \"loss_ratio\": %.8f, "
          "\"tx_refused\": %llu, \"late\": %llu, \"in_flight_max\": %llu, "
          "\"latency_ns\": {\"min\": %.0f, "
          "\"p50\": %.0f, \"p99\": %.0f, \"max\": %.0f}}%s\n",
          t.offered_pps, t.tx_pps(), static_cast<unsigned long long>(t.sent),
          static_cast<unsigned long long>(t.received), static_cast<unsigned long long>(t.unsent),
          t.loss_ratio(), static_cast<unsigned long long>(t.tx_refused),
          static_cast<unsigned long long>(t.late), static_cast<unsigned long long>(t.in_flight_max),
          t.latency_min_ns, t.latency_p50_ns, t.latency_p99_ns, t.latency_max_ns,
          i + 1 == r.search.trials.size() ? "" : ",");
    }
    std::fputs("  ]\n", f);
  }
  std::fputs("}\n", f);
  return std::fclose(f) == 0;
}

}  // namespace trafficgen
