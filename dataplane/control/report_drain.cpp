// Draining the workers' record rings into trace and event files, and health events.
#include <fmt/format.h>

#include "dataplane/control/report.h"
#include "dataplane/control/web_view.h"

namespace gauntlet {

std::string health_event_json(const HealthTransition& t, uint64_t generation,
                              uint64_t maglev_hash) {
  const bool deadline = t.kind == HealthTransition::Kind::drain_deadline;
  std::string s =
      fmt::format(R"({{"event":"{}","time":"{}","generation":{},"service":"{}","backend":"{}")",
                  deadline ? "drain-deadline" : "health", format_time(t.time_ns), generation,
                  t.service_name, t.backend_name);
  if (!deadline)
    fmt::format_to(std::back_inserter(s), R"(,"from":"{}","to":"{}")", backend_health_name(t.from),
                   backend_health_name(t.to));
  // The reason is text the monitor wrote: no quotes or backslashes in it.
  fmt::format_to(std::back_inserter(s), R"(,"reason":"{}","backends_up":{},"maglev_hash":"{}"}})",
                 t.reason, t.backends_up, hash_hex(maglev_hash));
  return s;
}

size_t drain_records(const std::vector<Worker*>& workers, FILE* trace, FILE* events,
                     const Tables& tables, const TraceObserver& observe, HealthMonitor* health,
                     size_t budget, RecentStops* stops) {
  size_t handled = 0;
  Record r;
  for (Worker* w : workers) {
    for (size_t taken = 0; taken < budget && w->to_control.pop(r); ++taken) {
      ++handled;
      switch (r.kind) {
        case RecordKind::trace:
          if (trace) fmt::print(trace, "{}\n", trace_json(r, tables));
          if (observe) observe(r, tables);
          break;
        case RecordKind::event:
          if (events) fmt::print(events, "{}\n", event_json(r, tables));
          if (stops && r.step_count && r.steps[r.step_count - 1].outcome == Outcome::stop)
            stops->add(trace_json(r, tables));
          break;
        case RecordKind::neighbour_learned:
          // A full inbound ring only delays learning: the other worker solicits again.
          for (Worker* other : workers)
            if (other != w) other->from_control.push(r);
          break;
        case RecordKind::probe_answer:
          if (health) health->on_answer(r);
          break;
        case RecordKind::probe_send:  // travels to workers only
          break;
      }
    }
  }
  return handled;
}

}  // namespace gauntlet
