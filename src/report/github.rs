//! The github report.
