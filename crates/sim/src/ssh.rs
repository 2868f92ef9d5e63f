//! The simulator SSH server. (Being implemented: issue 3.)
