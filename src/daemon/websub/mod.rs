//! WebSub, both ways: `publish` tells `output.websub_hub` which of our
//! feeds changed; `subscribe` asks the hubs that sources advertise to push
//! their new items to us (the callback itself is served by
//! `serve::websub`).

mod publish;
pub mod subscribe;

pub use publish::{Announcement, Pinger};
