//! Rules about the nexus annotation (`metadata.annotations.nexus`) written by `datamodel build`.
