//! The text report.
