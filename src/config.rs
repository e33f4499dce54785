//! `.nexus-compat.yaml`: severity overrides and ignores.
