//go:build race

package store

// raceEnabled reports a -race build, whose shadow memory makes resident
// set figures meaningless.
const raceEnabled = true
