//! Log files: the activity log and child output logs, with rotation.
