//! JSON Lines reader on arbitrary bytes (plain, or gzip when the bytes start with its magic):
//! no panic, and every ink it accepts survives a write/read round trip.
#![no_main]

use inkjot::ink::{InkLimits, read_ink};
use inkjot_fuzz::check_round_trip;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = InkLimits::default();
    let Ok(records) = read_ink(std::io::Cursor::new(data.to_vec()), "fuzz", limits) else {
        return;
    };
    for record in records.take(1000).flatten() {
        check_round_trip(&record);
    }
});
