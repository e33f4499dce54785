//! Chaos: `install` and `migrate apply` of 240 stored objects under seeded random faults of the
//! fake API server (failed writes, lost answers, 503 bursts, a SIGKILL of the binary in the
//! middle of its writes). After each faulty run every stored object must be either as before or
//! fully migrated (its value moved, not lost), the state ConfigMap must agree, and a re-run on
//! a healthy cluster must finish the job. The seeds are fixed; a failure names its seed and the
//! faults it armed.

mod install_support;

use install_support::*;
use nexus_fakeapi::{Fault, FaultOn};
use serde_json::{Value, json};
use std::fs;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CRD: &str = "employees.role.orgchart.org";
const MARKER: &str = "nexus.vmware.com/migration";
const VERSION: &str = "20260101000000";
const OBJECTS: usize = 240;
const NAMESPACES: [&str; 3] = ["ns-a", "ns-b", "ns-c"];
/// How long the write a kill lands on is held back.
const HELD_MS: u64 = 300;
/// A run that takes longer than this is a hang.
const RUN_LIMIT: Duration = Duration::from_secs(40);

const SEEDS: [u64; 10] = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89];

/// splitmix64: a few lines, and the same numbers everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// In `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    fn chance(&mut self, one_in: u64) -> bool {
        self.next() % one_in == 0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command_ {
    Install,
    Apply,
}

/// A cluster holding 240 employees with `location`, and a workspace whose step moves it to
/// `office`. For `install` the cluster serves the old CRD and the build the new one; for
/// `migrate apply` the cluster already serves a CRD that knows both fields.
struct World {
    cluster: Cluster,
    root: PathBuf,
    command: Command_,
}

impl World {
    fn new(command: Command_) -> World {
        let cluster = Cluster::start();
        let new = employees_crd(
            &[("name", "string"), ("office", "string")],
            &["name", "office"],
        );
        match command {
            Command_::Install => {
                let old = employees_crd(&[("name", "string"), ("location", "string")], &["name"]);
                let dir = cluster.crds("old", &[old]);
                cluster.install(&dir, &[]).success();
            }
            Command_::Apply => {
                let both = employees_crd(
                    &[
                        ("name", "string"),
                        ("location", "string"),
                        ("office", "string"),
                    ],
                    &["name"],
                );
                cluster.server.seed_crd(&both).unwrap();
            }
        }
        for i in 0..OBJECTS {
            cluster
                .server
                .seed_object(&json!({
                    "apiVersion": "role.orgchart.org/v1",
                    "kind": "Employee",
                    "metadata": {"name": format!("emp-{i:03}"), "namespace": NAMESPACES[i % 3]},
                    "spec": {"name": format!("E{i}"), "location": format!("room-{i}")}
                }))
                .unwrap();
        }
        let root = cluster.dir.path().join("dm");
        fs::create_dir_all(root.join("migrations")).unwrap();
        fs::write(
            root.join("nexus.yaml"),
            "version: 1\ngroupName: orgchart.org\ndatamodelName: orgchart\n",
        )
        .unwrap();
        fs::write(
            root.join(format!("migrations/{VERSION}_rename.yaml")),
            RENAME,
        )
        .unwrap();
        write_crds(&root.join("build/crds"), &[new]);
        World {
            cluster,
            root,
            command,
        }
    }

    fn spawn(&self) -> Child {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("nexus"));
        cmd.current_dir(&self.root)
            .env("HOME", &self.root)
            .env("NO_COLOR", "1")
            .env_remove("KUBECONFIG")
            .env_remove("KUBERNETES_SERVICE_HOST")
            .env_remove("KUBERNETES_SERVICE_PORT")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        match self.command {
            Command_::Install => cmd.args(["datamodel", "install", "--force"]),
            Command_::Apply => cmd.args(["datamodel", "migrate", "apply"]),
        };
        cmd.arg("--kubeconfig").arg(&self.cluster.kubeconfig);
        cmd.spawn().expect("nexus starts")
    }

    fn write_requests(&self) -> u64 {
        self.cluster.server.counters().write_requests
    }

    fn recorded(&self) -> bool {
        self.cluster
            .server
            .stored_objects("configmaps")
            .iter()
            .any(|c| c["data"].get(VERSION).is_some())
    }
}

/// How one run ended.
struct Ended {
    code: Option<i32>,
    killed: bool,
    stdout: String,
    stderr: String,
}

/// Waits for the child (killing it after `kill_after` writes, if set); a run past
/// [`RUN_LIMIT`] is a hang.
fn finish(world: &World, mut child: Child, kill_after: Option<u64>, start_writes: u64) -> Ended {
    let started = Instant::now();
    let mut killed = false;
    loop {
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            let out = child.wait_with_output().expect("its output");
            return Ended {
                code: status.code(),
                killed,
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            };
        }
        if let Some(n) = kill_after
            && !killed
            && world.write_requests() >= start_writes + n
        {
            child.kill().expect("SIGKILL");
            killed = true;
        }
        assert!(started.elapsed() < RUN_LIMIT, "the run hung");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Where one stored object stands.
#[derive(Debug, PartialEq, Eq)]
enum Standing {
    Before,
    Migrated,
}

fn standing(object: &Value) -> Result<Standing, String> {
    let name = object["metadata"]["name"].as_str().unwrap_or_default();
    let i: usize = name
        .trim_start_matches("emp-")
        .parse()
        .map_err(|_| format!("unknown object {name}"))?;
    let marker = object["metadata"]["annotations"].get(MARKER);
    let spec = &object["spec"];
    if marker.is_none()
        && *spec == json!({"name": format!("E{i}"), "location": format!("room-{i}")})
    {
        return Ok(Standing::Before);
    }
    if marker == Some(&json!(VERSION))
        && *spec == json!({"name": format!("E{i}"), "office": format!("room-{i}")})
    {
        return Ok(Standing::Migrated);
    }
    Err(format!(
        "{name} is neither as before nor fully migrated: {object}"
    ))
}

/// The invariants after any run; `Err` says which one broke.
fn check(world: &World, ended: &Ended) -> Result<(), String> {
    let objects = world.cluster.server.stored_objects(CRD);
    if objects.len() != OBJECTS {
        return Err(format!("{} objects stored, not {OBJECTS}", objects.len()));
    }
    let standings = objects
        .iter()
        .map(standing)
        .collect::<Result<Vec<_>, _>>()?;
    let migrated = standings
        .iter()
        .filter(|s| **s == Standing::Migrated)
        .count();
    let recorded = world.recorded();
    if recorded && migrated != OBJECTS {
        return Err(format!(
            "the state records the step but only {migrated} of {OBJECTS} objects are migrated"
        ));
    }
    if ended.killed {
        return Ok(());
    }
    match ended.code {
        Some(0) if !recorded => Err("exit 0 without the step recorded".into()),
        Some(0) => Ok(()),
        Some(2) if ended.stderr.contains("no step was recorded") && migrated != 0 => Err(format!(
            "the restore says it is complete but {migrated} objects stay migrated"
        )),
        Some(2) => {
            // Progress lines (`nexus: ...`, when a phase is slow) are not messages.
            let first = ended
                .stderr
                .lines()
                .find(|l| !l.starts_with("nexus: "))
                .unwrap_or_default();
            if ended.stderr.contains("could not restore")
                && !first.starts_with("restore incomplete:")
            {
                return Err(format!(
                    "an incomplete restore does not say so first: {first}"
                ));
            }
            Ok(())
        }
        other => Err(format!("exit {other:?}")),
    }
}

/// Arms this seed's faults; returns their description and the write after which to kill.
fn arm(world: &World, rng: &mut Rng) -> (Vec<String>, Option<u64>) {
    let server = &world.cluster.server;
    let mut armed = Vec::new();
    let objects = OBJECTS as u64;
    for _ in 0..rng.range(1, 3) {
        match rng.range(0, 3) {
            0 => {
                let nth = rng.range(1, objects);
                server.fail(Fault {
                    on: FaultOn::ObjectWrite,
                    nth,
                    code: 500,
                    message: "etcd is unavailable".into(),
                });
                armed.push(format!("object write {nth} fails (500)"));
            }
            1 => {
                let nth = rng.range(1, objects);
                server.lose_response(FaultOn::ObjectWrite, nth);
                armed.push(format!("object write {nth} done, answer lost"));
            }
            2 => {
                // Any write: the CRD apply, the objects, the state ConfigMap.
                let nth = rng.range(1, objects + 6);
                server.fail(Fault {
                    on: FaultOn::Write,
                    nth,
                    code: 500,
                    message: "etcd is unavailable".into(),
                });
                armed.push(format!("write {nth} fails (500)"));
            }
            _ => {
                // Each answer carries Retry-After: 1, so bursts stay short.
                let nth = rng.range(1, objects);
                server.fail_times(FaultOn::ObjectWrite, nth, 1, 503, "too many requests");
                armed.push(format!("object write {nth} answered 503 once"));
            }
        }
    }
    let kill = rng.chance(3).then(|| rng.range(1, objects + 4));
    if let Some(n) = kill {
        // The nth write is held back so that the kill lands while it waits.
        server.delay(FaultOn::Write, n, HELD_MS);
        armed.push(format!("SIGKILL while write {n} is held"));
    }
    (armed, kill)
}

fn run_seed(seed: u64) -> Result<(), String> {
    let mut rng = Rng(seed);
    let command = if seed % 2 == 0 {
        Command_::Install
    } else {
        Command_::Apply
    };
    let world = World::new(command);
    let (armed, kill) = arm(&world, &mut rng);
    // Shown with the test's output when it fails.
    eprintln!("seed {seed} ({command:?}): {}", armed.join(", "));
    let context = |e: String, ended: &Ended| {
        format!(
            "seed {seed} ({command:?}; {}): {e}\nexit {:?}, killed {}\nstdout:\n{}\nstderr:\n{}",
            armed.join(", "),
            ended.code,
            ended.killed,
            ended.stdout,
            ended.stderr
        )
    };
    let start = world.write_requests();
    let ended = finish(&world, world.spawn(), kill, start);
    if ended.killed {
        // The held write is the server's business now: let it land before looking.
        std::thread::sleep(Duration::from_millis(HELD_MS + 100));
    }
    check(&world, &ended).map_err(|e| context(e, &ended))?;

    // A re-run on a healthy cluster finishes the job.
    world.cluster.server.clear_faults();
    let again = finish(&world, world.spawn(), None, 0);
    if again.code != Some(0) {
        return Err(context("the re-run did not succeed".into(), &again));
    }
    check(&world, &again).map_err(|e| context(e, &again))?;
    let objects = world.cluster.server.stored_objects(CRD);
    if !objects
        .iter()
        .all(|o| standing(o) == Ok(Standing::Migrated))
        || !world.recorded()
    {
        return Err(context("the re-run left work undone".into(), &again));
    }
    if command == Command_::Install {
        let crd = world.cluster.server.crd(CRD).unwrap_or_default();
        let fields = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
            ["properties"];
        if fields.get("office").is_none() || fields.get("location").is_some() {
            return Err(context(
                format!("the CRD is not the new one: {fields}"),
                &again,
            ));
        }
    }
    Ok(())
}

#[test]
fn install_and_apply_survive_seeded_faults_and_a_rerun_finishes_the_job() {
    let started = Instant::now();
    let failures: Vec<String> = SEEDS.iter().filter_map(|&s| run_seed(s).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} seeds failed:\n\n{}",
        failures.len(),
        SEEDS.len(),
        failures.join("\n\n")
    );
    eprintln!("{} seeds in {:?}", SEEDS.len(), started.elapsed());
}

/// A kill after the CRD changed and before any object was rewritten: the cluster serves every
/// object pruned by the new CRD (without `location`), and only the backup holds the values.
#[test]
fn a_kill_between_the_crd_change_and_the_object_writes_is_finished_from_the_backup() {
    let world = World::new(Command_::Install);
    // The first object write is held back long enough to kill nexus while it waits.
    world.cluster.server.delay(FaultOn::ObjectWrite, 1, HELD_MS);
    let start = world.write_requests();
    let child = world.spawn();
    // Writes: the CRD apply, then the first object write (held back).
    let ended = finish(&world, child, Some(2), start);
    assert!(ended.killed, "{}", ended.stderr);
    std::thread::sleep(Duration::from_millis(HELD_MS + 100));
    let served = world.cluster.server.crd(CRD).unwrap();
    assert!(
        served["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
            ["properties"]
            .get("office")
            .is_some(),
        "the CRD changed before the kill"
    );
    check(&world, &ended).unwrap();
    let again = finish(&world, world.spawn(), None, 0);
    assert_eq!(again.code, Some(0), "{}{}", again.stdout, again.stderr);
    assert!(
        again
            .stdout
            .contains("taken from the backup of an unfinished run"),
        "{}",
        again.stdout
    );
    let objects = world.cluster.server.stored_objects(CRD);
    for o in &objects {
        assert_eq!(standing(o), Ok(Standing::Migrated), "{o}");
    }
    assert!(world.recorded());
}
