//! Process supervision as pure logic.

pub mod plan;
