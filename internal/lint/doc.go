// Package lint holds the tests that keep the code base's structure rules.
//
// It has no code of its own: its _test.go files parse the module's non-test
// Go files with go/parser (never importing or building the other packages,
// so they run even while the rest of the tree does not compile) and fail,
// listing every violation as file:line and the rule broken, when
//
//   - a package keeps mutable state in package-level vars, or has a
//     func init (TestNoPackageState, TestNoInit);
//   - a function's cyclomatic complexity exceeds maxComplexity
//     (TestCyclomaticComplexity);
//   - a public package has no Example with an // Output: comment
//     (TestEveryPublicPackageHasExample).
//
// There is no allowlist: code that breaks a rule is changed, not excused.
// Each rule's checker is itself tested against small in-memory sources.
package lint
