//! A Ballista cluster of `netsentry cluster` processes on 127.0.0.1 (a scheduler and executors,
//! each a separate process on free ports), plain or with mutual TLS and a shared key, for the
//! engine test and benchmark; stopped when dropped.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The running processes, the scheduler first.
pub struct Cluster {
    port: u16,
    processes: Vec<Child>,
    /// Each executor's Flight port.
    flight_ports: Vec<u16>,
    /// The options every process and client takes: none, or the TLS folder and key file.
    access: Vec<String>,
}

impl Cluster {
    /// Starts a scheduler and `executors` executors (each running `tasks` tasks at once, or one
    /// per core, reading only under `dir`), their shuffle files under `dir`, and waits until all
    /// of them listen.
    pub fn start(dir: &Path, executors: usize, tasks: Option<usize>) -> Self {
        Self::launch(dir, executors, tasks, Vec::new())
    }

    /// As [`Self::start`], every process with mutual TLS and the shared key of `certs` (a folder
    /// `netsentry cluster certs` wrote, made here when missing).
    #[allow(dead_code)] // The engine test and benchmark use it; the other users of this file do not.
    pub fn start_with_tls(
        dir: &Path,
        executors: usize,
        tasks: Option<usize>,
        certs: &Path,
    ) -> Self {
        if !certs.join("ca.pem").exists() {
            let made = Command::new(env!("CARGO_BIN_EXE_netsentry"))
                .args(["cluster", "certs"])
                .arg(certs)
                .output()
                .expect("netsentry runs");
            assert!(made.status.success(), "{made:?}");
        }
        Self::launch(dir, executors, tasks, access(certs))
    }

    fn launch(dir: &Path, executors: usize, tasks: Option<usize>, access: Vec<String>) -> Self {
        let port = free_port();
        let mut scheduler = vec!["cluster".to_owned(), "scheduler".to_owned()];
        scheduler.extend(["--port".to_owned(), port.to_string()]);
        scheduler.extend(access.iter().cloned());
        let mut cluster = Self {
            port,
            processes: vec![spawn(&scheduler)],
            flight_ports: Vec::new(),
            access,
        };
        wait_for(port);
        for executor in 0..executors {
            let flight = free_port();
            let work = dir.join(format!("executor-{executor}"));
            std::fs::create_dir_all(&work).expect("a work folder");
            let mut args = vec![
                "cluster".to_owned(),
                "executor".to_owned(),
                "--port".to_owned(),
                flight.to_string(),
                "--scheduler".to_owned(),
                format!("127.0.0.1:{port}"),
                "--work-dir".to_owned(),
                work.display().to_string(),
                "--data".to_owned(),
                dir.display().to_string(),
            ];
            if let Some(tasks) = tasks {
                args.extend(["--tasks".to_owned(), tasks.to_string()]);
            }
            args.extend(cluster.access.iter().cloned());
            cluster.processes.push(spawn(&args));
            cluster.flight_ports.push(flight);
            wait_for(flight);
        }
        cluster
    }

    /// What `query --cluster` takes.
    pub fn url(&self) -> String {
        format!("df://127.0.0.1:{}", self.port)
    }

    /// The port executor `index` (from 0) serves results on.
    #[allow(dead_code)] // As `start_with_tls`.
    pub fn flight_port(&self, index: usize) -> u16 {
        self.flight_ports[index]
    }

    /// The options a client of this cluster needs besides `--cluster` (none for a plain one).
    #[allow(dead_code)] // As `start_with_tls`.
    pub fn client_access(&self) -> Vec<String> {
        self.access.clone()
    }

    /// Kills executor `index` (from 0) at once, as a crash would: no goodbye to the scheduler.
    #[allow(dead_code)] // The engine test's fault cases use it; the benchmark does not.
    pub fn kill_executor(&mut self, index: usize) {
        let executor = &mut self.processes[1 + index];
        executor.kill().ok();
        executor.wait().ok();
    }

    /// Kills the scheduler at once.
    #[allow(dead_code)] // As `kill_executor`.
    pub fn kill_scheduler(&mut self) {
        self.processes[0].kill().ok();
        self.processes[0].wait().ok();
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for child in &mut self.processes {
            child.kill().ok();
            child.wait().ok();
        }
    }
}

/// The TLS folder and key file options for a `cluster certs` folder.
fn access(certs: &Path) -> Vec<String> {
    let path = |name: &str| -> String { PathBuf::from(certs).join(name).display().to_string() };
    vec![
        "--tls".to_owned(),
        certs.display().to_string(),
        "--key-file".to_owned(),
        path("shared-key"),
    ]
}

fn spawn(args: &[impl AsRef<std::ffi::OsStr>]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_netsentry"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("netsentry runs")
}

/// A port free on 127.0.0.1 now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("its address")
        .port()
}

/// Waits until something listens on `port`.
fn wait_for(port: u16) {
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "nothing listened on {port} within a minute"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
