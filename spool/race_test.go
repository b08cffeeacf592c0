//go:build race

package spool

// raceEnabled: under the race detector sync.Pool drops a quarter of what is
// put back (on purpose, to find misuse), so pooling saves less.
const raceEnabled = true
