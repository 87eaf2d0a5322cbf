// The rise/fall state machine of one checked backend (HAProxy's and Envoy's rule): a backend
// starts up; `fall` failed probes in a row take it down, `rise` passed probes in a row bring
// it back; a result that agrees with the state resets the opposite count. Pure, no clock:
// the monitor feeds it one result per finished probe. Control core.
#pragma once

#include <cstdint>
#include <string_view>

namespace gauntlet {

enum class BackendHealth : uint8_t { up, down };

constexpr std::string_view backend_health_name(BackendHealth h) noexcept {
  return h == BackendHealth::up ? "up" : "down";
}

struct HealthCounter {
  BackendHealth state = BackendHealth::up;
  uint32_t passed = 0;  // in a row, while down
  uint32_t failed = 0;  // in a row, while up

  // Records one probe result; true when the state changed.
  bool record(bool ok, uint32_t rise, uint32_t fall) noexcept {
    if (state == BackendHealth::up) {
      failed = ok ? 0 : failed + 1;
      if (failed < fall) return false;
      state = BackendHealth::down;
      failed = 0;
    } else {
      passed = ok ? passed + 1 : 0;
      if (passed < rise) return false;
      state = BackendHealth::up;
      passed = 0;
    }
    return true;
  }
};

}  // namespace gauntlet
