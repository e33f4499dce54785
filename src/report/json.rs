//! The json report.
