//go:build race

package httpapi

// raceSlowdown scales CPU budgets of tests under the race detector.
const raceSlowdown = 10
