//! Runs `flowkeeper-driver` as a child process against a test database, so
//! that tests can kill a real runner (SIGKILL) and start another.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::support::TestDb;

/// How long a test waits for a child's answer before failing.
const PATIENCE: Duration = Duration::from_secs(60);

/// The driver's command line for one database and workflow folder.
pub struct Driver {
    database: String,
    schema: Option<String>,
    workflows: TempDir,
}

impl Driver {
    /// Writes `workflows` (file name, text) to a folder the driver loads.
    pub fn new(db: &TestDb, workflows: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("workflow dir");
        for (name, text) in workflows {
            std::fs::write(dir.path().join(name), text).expect("write workflow");
        }
        Self {
            database: db.url.clone(),
            schema: db.schema.clone(),
            workflows: dir,
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_flowkeeper-driver"));
        command
            .arg("--database")
            .arg(&self.database)
            .arg("--workflows")
            .arg(self.workflows.path());
        if let Some(schema) = &self.schema {
            command.arg("--schema").arg(schema);
        }
        command
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        command
    }

    /// Starts a driver with `args` (a subcommand and its options).
    pub fn spawn(&self, args: &[&str]) -> Running {
        let mut child = self.command(args).spawn().expect("start flowkeeper-driver");
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            stdin: child.stdin.take(),
            child,
            lines,
        }
    }

    /// Runs `fire-timers` with `args` to the end; returns how many it fired.
    pub fn fire_timers(&self, args: &[&str]) -> usize {
        let mut all = vec!["fire-timers"];
        all.extend_from_slice(args);
        let lines = self.spawn(&all).finish();
        fired(&lines)
    }
}

/// The count in a `fired <n>` line.
pub fn fired(lines: &[String]) -> usize {
    let line = lines
        .iter()
        .find_map(|line| line.strip_prefix("fired "))
        .unwrap_or_else(|| panic!("no `fired` line in {lines:?}"));
    line.parse().expect("a count")
}

/// A driver process with its stdin and the lines of its stdout.
pub struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
}

impl Running {
    pub fn send(&mut self, lines: &[String]) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        for line in lines {
            writeln!(stdin, "{line}").expect("write to the driver");
        }
        stdin.flush().expect("flush to the driver");
    }

    /// Waits for the next `count` stdout lines.
    pub fn read(&self, count: usize) -> Vec<String> {
        let deadline = Instant::now() + PATIENCE;
        let mut read = Vec::with_capacity(count);
        while read.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => read.push(line),
                Err(RecvTimeoutError::Timeout) => panic!("driver silent; got {read:?}"),
                Err(RecvTimeoutError::Disconnected) => panic!("driver exited; got {read:?}"),
            }
        }
        read
    }

    /// SIGKILL, then every line it printed before dying.
    pub fn kill(mut self) -> Vec<String> {
        self.child.kill().expect("kill the driver");
        self.child.wait().expect("reap the driver");
        self.lines.iter().collect()
    }

    /// Closes stdin, waits for a clean exit and returns the remaining lines.
    pub fn finish(mut self) -> Vec<String> {
        drop(self.stdin.take());
        let status = self.child.wait().expect("wait for the driver");
        let lines = self.lines.iter().collect();
        assert!(
            status.success(),
            "driver failed ({status}); printed {lines:?}"
        );
        lines
    }
}
