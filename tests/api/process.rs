//! The real binary as a child process: `tributary serve` on a random port, found through its
//! `listening` log line, for the tests that need a process to kill, signal or restart.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{ADMIN_TOKEN, JWT_SECRET};

/// The binary with none of the credentials or database a developer's shell may have set.
pub fn tributary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tributary"));
    command
        .env_remove("ADMIN_TOKEN")
        .env_remove("JWT_SECRET")
        .env_remove("DATABASE_URL");
    command
}

/// `tributary serve` on a random port with JSON logs, over `database_url`, with the test
/// credentials. Callers add settings before [`ServerProcess::start`].
pub fn serve(database_url: &str) -> Command {
    let mut command = tributary();
    command
        .arg("serve")
        .env("DATABASE_URL", database_url)
        .env("ADMIN_TOKEN", ADMIN_TOKEN)
        .env("JWT_SECRET", JWT_SECRET)
        .env("PORT", "0")
        .env("TRIBUTARY_LOG__FORMAT", "json")
        .env("RUST_LOG", "info");
    command
}

pub struct ServerProcess {
    child: Child,
    /// `http://host:port`.
    pub address: String,
}

impl ServerProcess {
    /// Starts the command (`serve` or `serve --demo`) and waits until the server logs where it
    /// listens. Its stderr is read to the end, so the server never blocks on a full pipe.
    pub fn start(command: Command) -> ServerProcess {
        Self::start_reading_stderr(command, true)
    }

    /// Like [`ServerProcess::start`], but closes the read end of the server's stderr once it
    /// listens, as `tributary serve 2>&1 | head` does.
    pub fn start_then_close_stderr(command: Command) -> ServerProcess {
        Self::start_reading_stderr(command, false)
    }

    fn start_reading_stderr(mut command: Command, keep_reading: bool) -> ServerProcess {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (found, address) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(log) = serde_json::from_str::<Value>(&line)
                    && log["message"] == "listening"
                    && let Some(address) = log["address"].as_str()
                {
                    let _ = found.send(address.to_owned());
                    if !keep_reading {
                        return; // drops the pipe's read end
                    }
                }
            }
        });
        let address = address
            .recv_timeout(Duration::from_secs(30))
            .expect("the server reports its address");
        ServerProcess {
            child,
            address: format!("http://{address}"),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn kill_hard(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    pub fn terminate(&mut self) {
        let pid = i32::try_from(self.child.id()).expect("pid");
        // SAFETY: sending a signal to our own child process, whose pid we hold.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    }

    /// Waits for the process to exit by itself; `None` if it is still running at the deadline.
    pub fn wait_for_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the process and returns everything it printed on stdout.
    pub fn kill_and_read_stdout(mut self) -> String {
        self.kill_hard();
        let mut stdout = String::new();
        if let Some(mut pipe) = self.child.stdout.take() {
            pipe.read_to_string(&mut stdout).expect("stdout is UTF-8");
        }
        stdout
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
