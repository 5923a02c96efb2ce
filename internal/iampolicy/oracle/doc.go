// Package oracle checks internal/iampolicy against an outside oracle,
// @cloud-copilot/iam-simulate, run with node.
//
// The oracle is AGPL-licensed, so it is never vendored: package-lock.json in
// this directory pins it and its data dependency, and `npm ci` (run by
// .ci/oracle.sh) installs it into node_modules at test time.
//
// The package holds the shared case format of
// internal/iampolicy/testdata/cases (Case, LoadCases), a deterministic
// generator of random cases over a small realistic alphabet (Generate), and
// the bridge to the node harness run.mjs (Find, Oracle.Evaluate). The
// differential test itself is TestOracleDifferential; README.md explains how
// to run it and lists the known, explained differences.
package oracle
