//! Paths of findings: the CRD path in named-key form (`/spec/versions/name=v1/...`) and the dotted
//! field path of the object (`.spec.ports[*].name`).
