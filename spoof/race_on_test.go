//go:build race

package spoof

// raceEnabled: the race detector makes sync.Pool drop items on purpose.
const raceEnabled = true
