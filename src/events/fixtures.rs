//! Texts the events tests share: two write-ups of one earthquake, another
//! earthquake, an unrelated story and filler of other topics.

/// An earthquake, as a wire reported it.
pub const QUAKE_A: &str = "A magnitude 6.4 earthquake struck the coastal province of Banten early on \
    Tuesday, collapsing dozens of houses in the town of Pandeglang and killing at least seven \
    people, the national disaster agency said. Rescuers searched rubble through the morning \
    while aftershocks rattled the region and schools stayed closed.";
/// The same earthquake, written up by another site.
pub const QUAKE_B: &str = "Rescue teams in Pandeglang dug through collapsed houses after Tuesday's \
    magnitude 6.4 earthquake in Banten province, which the disaster agency said killed seven \
    people. Aftershocks kept residents outdoors and the province closed its schools for the day \
    while engineers inspected bridges.";
/// Another earthquake in the region, another day.
pub const QUAKE_C: &str = "A magnitude 5.1 earthquake shook the mountain district of Sumedang in West \
    Java on Monday, damaging a mosque and a market, officials said. No deaths were reported and \
    residents returned home by evening after the district government inspected damaged roads and \
    cleared landslides near the reservoir.";
/// An unrelated story.
pub const PORT: &str = "Dock workers at the container port voted to end their twelve-day strike after \
    the operator raised its pay offer. Ships waiting offshore began unloading on Thursday and \
    exporters said perishable cargo had spoiled during the stoppage at the terminal.";
/// Stories of other topics.
pub const FILLER: [&str; 6] = [
    "The city council approved a budget that raises spending on libraries and parks next year.",
    "A new bridge across the river opened to traffic after three years of construction work.",
    "The football club confirmed the signing of a midfielder on a four-year contract.",
    "Heavy snow closed mountain passes and delayed trains across the northern region.",
    "The central bank kept interest rates unchanged and said inflation was easing slowly.",
    "A museum exhibition of medieval manuscripts drew record crowds over the holiday weekend.",
];
