//! Process supervision as pure logic.

pub mod machine;
pub mod plan;
pub mod state;
pub mod wait_status;
