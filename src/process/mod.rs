//! Process supervision as pure logic.

pub mod machine;
pub mod order;
pub mod plan;
pub mod spawn;
pub mod state;
pub mod wait_status;
