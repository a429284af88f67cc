//! Process supervision as pure logic.
