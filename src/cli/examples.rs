//! The `Examples:` section of every command's `--help` (tests/conventions.rs checks that each
//! command has one). Kept apart from the flag definitions so both stay readable.

pub const NEXUS: &str = "\
Examples:
  nexus datamodel init --name orgchart --group orgchart.org my-datamodel
  nexus datamodel build
  nexus datamodel diff git:main:build/crds build/crds --format github
  nexus completion bash > /etc/bash_completion.d/nexus
  nexus version -o json";

pub const DATAMODEL: &str = "\
Examples:
  nexus datamodel build --prev-spec-branch main
  nexus datamodel diff old/ new/
  nexus datamodel install --dry-run";

pub const VERSION: &str = "\
Examples:
  nexus version
  nexus version --format json";

pub const COMPLETION: &str = "\
Examples:
  nexus completion bash > ~/.local/share/bash-completion/completions/nexus
  nexus completion zsh > \"${fpath[1]}/_nexus\"
  nexus completion fish > ~/.config/fish/completions/nexus.fish";

pub const INIT: &str = "\
Examples:
  nexus datamodel init --name orgchart --group orgchart.org my-datamodel
  nexus datamodel init --name example.com/shop --group shop.example.com";

pub const DIFF: &str = "\
Examples:
  nexus datamodel diff old.yaml new.yaml
  nexus datamodel diff git:main:config/crd config/crd --format github
  nexus datamodel diff old.yaml - < new.yaml
  nexus datamodel diff cluster: build/crds --context prod
  nexus datamodel diff -o json --fail-on warning old/ new/";

pub const BUILD: &str = "\
Examples:
  nexus datamodel build
  nexus datamodel build --prev-spec-branch main
  nexus datamodel build -f             # write the CRDs even though the change is breaking
  nexus datamodel build --datamodel my-datamodel --format json";

pub const RULES: &str = "\
Examples:
  nexus datamodel rules
  nexus datamodel rules -o json";

pub const INSTALL: &str = "\
Examples:
  nexus datamodel install --dry-run
  nexus datamodel install --context staging --timeout 2m
  nexus datamodel install --force --prune";

pub const MIGRATE: &str = "\
Examples:
  nexus datamodel migrate create add-phone --crd leaders.root.orgchart.org
  nexus datamodel migrate plan --objects backup/
  nexus datamodel migrate status -o json";

pub const MIGRATE_CREATE: &str = "\
Examples:
  nexus datamodel migrate create give-leaders-a-phone
  nexus datamodel migrate create rename-title --crd leaders.root.orgchart.org";

pub const MIGRATE_PLAN: &str = "\
Examples:
  nexus datamodel migrate plan
  nexus datamodel migrate plan --objects saved-objects/ --output migrated/
  nexus datamodel migrate plan -o json";

pub const MIGRATE_APPLY: &str = "\
Examples:
  nexus datamodel migrate apply
  nexus datamodel migrate apply --to 20260101120000 --backup /tmp/backup";

pub const MIGRATE_STATUS: &str = "\
Examples:
  nexus datamodel migrate status
  nexus datamodel migrate status --context prod -o json";

pub const MIGRATE_RESTORE: &str = "\
Examples:
  nexus datamodel migrate restore build/migration-backup/20260101120000";

pub const MIGRATE_DOWN: &str = "\
Examples:
  nexus datamodel migrate down
  nexus datamodel migrate down --steps 2
  nexus datamodel migrate down --to 0";
