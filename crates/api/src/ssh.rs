//! SSH host password rotation. (Being implemented: issue 5.)
