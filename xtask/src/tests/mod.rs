//! Unit tests of the tree that need the CLI's own types.

mod workflows;
