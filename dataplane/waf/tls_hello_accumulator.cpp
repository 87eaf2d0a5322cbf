// The record layer under the ClientHello: reads record headers byte by byte (a header may be
// split anywhere), copies record payloads into one contiguous handshake message, and parses
// it once complete. Contract in tls_client_hello.h.
#include <algorithm>
#include <cstring>

#include "dataplane/waf/tls_client_hello.h"

namespace gauntlet {
namespace {

constexpr uint8_t kContentTypeHandshake = 22;
constexpr uint8_t kHandshakeClientHello = 1;
constexpr size_t kRecordHeaderBytes = 5;
constexpr size_t kHandshakeHeaderBytes = 4;

}  // namespace

void TlsHelloAccumulator::reset() noexcept {
  hello_ = TlsClientHello{};
  status_ = TlsHelloStatus::need_more;
  reason_ = TlsMalformed::none;
  record_header_len_ = 0;
  first_record_ = true;
  record_remaining_ = message_len_ = message_total_ = consumed_ = 0;
}

TlsHelloStatus TlsHelloAccumulator::fail(TlsMalformed why) noexcept {
  reason_ = why;
  return status_ = TlsHelloStatus::malformed;
}

// The first record decides TLS or not; later ones that break the pattern are malformed.
TlsHelloStatus TlsHelloAccumulator::on_record_header_byte(uint8_t byte) noexcept {
  const size_t at = record_header_len_;
  record_header_[record_header_len_++] = byte;
  if (at == 0 && byte != kContentTypeHandshake)
    return first_record_ ? status_ = TlsHelloStatus::not_tls : fail(TlsMalformed::record_type);
  if ((at == 1 && byte != 3) || (at == 2 && byte > 4))
    return first_record_ ? status_ = TlsHelloStatus::not_tls : fail(TlsMalformed::record_version);
  if (record_header_len_ < kRecordHeaderBytes) return status_;

  const size_t length = size_t{record_header_[3]} << 8 | record_header_[4];
  // Zero-length handshake fragments are forbidden (RFC 8446 §5.1), and a stream of them
  // would otherwise keep the accumulator waiting forever at no cost to the client.
  if (length == 0 || length > kTlsMaxRecordPayload) return fail(TlsMalformed::record_length);
  if (first_record_)
    hello_.record_version = static_cast<uint16_t>(record_header_[1] << 8 | record_header_[2]);
  first_record_ = false;
  record_header_len_ = 0;
  record_remaining_ = length;
  return check_lengths();
}

// Once the handshake length is known, the records may not carry more than the message.
TlsHelloStatus TlsHelloAccumulator::check_lengths() noexcept {
  if (message_total_ == 0 && message_len_ >= kHandshakeHeaderBytes) {
    if (storage_[0] != kHandshakeClientHello) return fail(TlsMalformed::handshake_type);
    message_total_ = kHandshakeHeaderBytes +
                     (size_t{storage_[1]} << 16 | size_t{storage_[2]} << 8 | storage_[3]);
    if (message_total_ > storage_.size()) return fail(TlsMalformed::hello_too_large);
  }
  if (message_total_ != 0 && message_len_ + record_remaining_ > message_total_)
    return fail(TlsMalformed::record_handshake_mismatch);
  return status_;
}

TlsHelloStatus TlsHelloAccumulator::feed(const uint8_t* data, size_t len) noexcept {
  size_t pos = 0;
  while (pos < len && status_ == TlsHelloStatus::need_more) {
    if (record_remaining_ == 0) {
      on_record_header_byte(data[pos++]);
      continue;
    }
    size_t take = std::min(record_remaining_, len - pos);
    // Stop right after the handshake header, so that its checks decide at the same byte
    // whatever the split, and never copy past the storage.
    if (message_len_ < kHandshakeHeaderBytes)
      take = std::min(take, kHandshakeHeaderBytes - message_len_);
    take = std::min(take, storage_.size() - message_len_);
    if (take == 0) {  // a record still outgrows small storage before the header is in
      fail(TlsMalformed::hello_too_large);
      break;
    }
    std::memcpy(storage_.data() + message_len_, data + pos, take);
    message_len_ += take;
    record_remaining_ -= take;
    pos += take;
    if (check_lengths() != TlsHelloStatus::need_more) break;
    if (message_total_ != 0 && message_len_ == message_total_) {
      const auto body = std::span<const uint8_t>(storage_).subspan(
          kHandshakeHeaderBytes, message_total_ - kHandshakeHeaderBytes);
      reason_ = parse_client_hello_body(body, hello_);
      status_ = reason_ == TlsMalformed::none ? TlsHelloStatus::done : TlsHelloStatus::malformed;
    }
  }
  consumed_ += pos;
  return status_;
}

}  // namespace gauntlet
