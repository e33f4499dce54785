//! The junit report.
