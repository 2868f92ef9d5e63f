//! The hosts' SSH accounts: who may log in (`smartx` with its password;
//! never `root`), the `ssh_login_refused` / `ssh_hang` faults, and `sudo -n
//! chpasswd` rotating the `smartx` and `root` passwords.

use smtx_secret::Secret;

use super::SimState;

/// What the SSH server should do with a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SshDecision {
    Accept,
    Reject,
    Hang,
}

impl SimState {
    pub fn ssh_authenticate(&self, node: usize, user: &str, password: &str) -> SshDecision {
        if self.faults.ssh_hang.contains(&node) {
            return SshDecision::Hang;
        }
        if self.faults.ssh_refused.contains(&node) || user == "root" {
            return SshDecision::Reject;
        }
        match self.nodes.get(node) {
            Some(host) if user == "smartx" && host.smartx_password.expose() == password => {
                SshDecision::Accept
            }
            _ => SshDecision::Reject,
        }
    }

    pub fn ssh_chpasswd(
        &mut self,
        node: usize,
        login_user: &str,
        stdin: &[u8],
    ) -> Result<(), String> {
        let host = self
            .nodes
            .get_mut(node)
            .ok_or_else(|| format!("no node {node}"))?;
        if login_user != "smartx" && login_user != "root" {
            return Err(format!("sudo: {login_user} is not in the sudoers file"));
        }
        let text =
            std::str::from_utf8(stdin).map_err(|_| "chpasswd: input is not UTF-8".to_owned())?;
        let mut changes: Vec<(String, String)> = Vec::new();
        for (number, line) in text.lines().enumerate() {
            if line.is_empty() {
                continue;
            }
            let (user, password) = line
                .split_once(':')
                .ok_or_else(|| format!("chpasswd: line {}: missing new password", number + 1))?;
            if user != "smartx" && user != "root" {
                return Err(format!(
                    "chpasswd: line {}: user '{user}' does not exist",
                    number + 1
                ));
            }
            if password.is_empty() {
                return Err(format!("chpasswd: line {}: empty password", number + 1));
            }
            changes.push((user.to_owned(), password.to_owned()));
        }
        if changes.is_empty() {
            return Err("chpasswd: no input".to_owned());
        }
        for (user, password) in changes {
            if user == "smartx" {
                host.smartx_password = Secret::new(password);
                host.smartx_rotated = true;
            } else {
                host.root_password = Secret::new(password);
                host.root_rotated = true;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::state;
    use super::*;

    #[test]
    fn chpasswd_takes_everything_after_the_first_colon() {
        let mut state = state();
        let password = r#"a:b'c"d$e`f\g h;i"#;
        let stdin = format!("smartx:{password}\n");
        assert_eq!(state.ssh_chpasswd(0, "smartx", stdin.as_bytes()), Ok(()));
        assert_eq!(
            state.ssh_authenticate(0, "smartx", password),
            SshDecision::Accept
        );
        assert!(state.nodes[0].smartx_rotated && !state.nodes[0].root_rotated);
        // A bad line rejects the whole input: nothing changes.
        let mixed = b"root:new\nnobody:x\n";
        assert!(state.ssh_chpasswd(0, "smartx", mixed).is_err());
        assert!(!state.nodes[0].root_rotated);
        assert!(state.ssh_chpasswd(0, "smartx", b"root:\n").is_err());
        assert!(state.ssh_chpasswd(0, "smartx", b"").is_err());
    }
}
