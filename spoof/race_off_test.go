//go:build !race

package spoof

const raceEnabled = false
