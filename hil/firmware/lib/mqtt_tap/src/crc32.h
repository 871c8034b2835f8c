#pragma once
#include <stddef.h>
#include <stdint.h>

namespace tap {
/// CRC-32 (IEEE 802.3 / zlib polynomial 0xEDB88320, init and xorout 0xFFFFFFFF).
/// crc32("123456789") == 0xCBF43926. Pass a previous result as `crc` to continue.
uint32_t crc32(const uint8_t* data, size_t len, uint32_t crc = 0);
}  // namespace tap
