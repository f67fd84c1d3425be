//! InkML reader on arbitrary text: no panic, and every ink it accepts survives a JSON Lines
//! write/read round trip.
#![no_main]

use inkjot::ink::{InkLimits, parse_inkml};
use inkjot_fuzz::check_round_trip;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(record) = parse_inkml(text, "fuzz", &InkLimits::default()) {
        assert!(record.ink.point_count() > 0);
        check_round_trip(&record);
    }
});
