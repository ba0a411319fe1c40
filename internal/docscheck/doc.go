// Package docscheck holds the tests of the repository's Markdown
// documentation: README.md stays short and starts with the two set-up
// commands, and every relative link in README.md and docs/*.md names a
// file that exists and, with a fragment, a heading of that file.
//
// The package has no API; its tests run with go test ./... like any other.
package docscheck
