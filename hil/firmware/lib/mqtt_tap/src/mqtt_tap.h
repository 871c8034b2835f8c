// Umbrella header of the portable MQTT tap core (no Arduino, no POSIX).
#pragma once
#include "console.h"
#include "crc32.h"
#include "line_ring.h"
#include "packet_assembler.h"
#include "recorder.h"
#include "tap.h"
#include "tap_io.h"
